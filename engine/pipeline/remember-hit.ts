// Which answers may be remembered for repeated plain hits (engine/hot-hits.ts), and for how long.
import type { Entry } from '../cache/store.js';
import type { Instance } from '../instance.js';
import { hotKey, isPlainRequest } from '../hot-hits.js';
import type { EngineCtx } from './context.js';
import { timesOf } from './entries.js';
import type { IncomingMessage } from 'node:http';
import { classify } from '../routing.js';
import { type Reply, type Work, forwardsAuthorization, headerValue, headerView } from './work.js';

/** a plain HIT/FRESH answer held in memory may answer the same request again (engine/hot-hits.ts) */
export function rememberIfRepeatable(ctx: EngineCtx, w: Work, r: Reply, e: Entry, cache: string, h: Record<string, string>, body: Buffer): void {
  const immutable = w.resolved.policy === 'immutable';
  if (!(immutable ? cache === 'HIT' : w.resolved.policy === 'revalidate' && cache === 'FRESH')) return;
  if ((w.inst.cfg.offline ?? ctx.config.storage.offline) || !isPlainRequest(r.req)) return;
  // kinds that consult the mode on every request (admission, re-verification) are never answered from memory
  const kind = w.inst.def.kinds[w.kind]!;
  if (kind.cache?.admit || kind.cache?.reverify) return;
  const t = timesOf(e);
  let validUntilMs = t.expires;
  if (immutable && w.resolved.expireMs !== Infinity) validUntilMs = Math.min(validUntilMs, t.lastUsed + 3600_000);
  if (!immutable) validUntilMs = Math.min(validUntilMs, w.resolved.freshMs === Infinity ? Infinity : t.validated + (w.resolved.freshMs ?? 0));
  // headers already set on the response (a mode's responseHeaders) are part of the answer too
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.res.getHeaders())) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  Object.assign(headers, h);
  delete headers['x-request-id'];
  delete headers.age;
  const { inst, keyHash, flightKey } = w;
  const entries = ctx.state.entries;
  ctx.hot.remember(hotKey(inst.name, w.publicBase, r.req.url ?? ''), {
    instance: inst.name, mode: inst.def.name, kind: w.kind, cache: immutable ? 'HIT' : 'FRESH', headers, body, validatedMs: t.validated, validUntilMs,
    deps: requestDeps(w).map((name): [string, string] => [name, headerValue(r.req, name)]),
    isCurrent: () => entries.get(flightKey) === e,
    touch: () => ctx.index.touched(inst.name, keyHash),
    sameRoute: sameRouteCheck(w),
    forwardsAuthorization: forwardsAuthorization(w.inst),
  });
}

/**
 * Routes with a `when` predicate may classify by anything in the request: for such instances a remembered
 * answer is used only while the same request still lands on the same route.
 */
function sameRouteCheck(w: Work): ((req: IncomingMessage) => boolean) | undefined {
  if (!classifiesByPredicate(w.inst)) return undefined;
  const { inst, match } = w;
  const chosen = classify(inst.routes, match.path, match.segments, match, inst.block)?.route.index;
  return (req) => classify(inst.routes, match.path, match.segments, { method: req.method!, headers: headerView(req.headers), query: match.query, trailingSlash: match.trailingSlash }, inst.block)?.route.index === chosen;
}

/** request headers a stored answer depends on: the kind's vary headers and keyed pass headers */
function requestDeps(w: Work): string[] {
  const names = Object.keys(w.inst.def.kinds[w.kind]!.cache?.vary ?? {});
  const pass = w.inst.def.passHeaders?.(w.inst.block);
  if (pass?.keyed) names.push(...pass.names.map((n) => n.toLowerCase()));
  return names;
}

const predicated = new WeakMap<Instance, boolean>();
function classifiesByPredicate(inst: Instance): boolean {
  let v = predicated.get(inst);
  if (v === undefined) { v = inst.routes.some((r) => r.spec.when !== undefined); predicated.set(inst, v); }
  return v;
}
