// One request, top to bottom (engine spec §3): classify → policy → cache / fill / revalidate → respond.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Entry } from './cache/store.js';
import type { Instance } from './instance.js';
import type { Match, VerifyResult, RespondOutput } from './mode.js';
import { classify, fillTemplate } from './routing.js';
import { parseSize } from './config/values.js';
import { sendError, type ErrorFormatter } from './http/respond.js';
import { m } from './metrics.js';
import { recordRequest } from './request-metrics.js';
import { isFresh, lookup } from './pipeline/entries.js';
import { flights, headMiss, startFlight } from './pipeline/flights.js';
import { hookContext, stateOf, targetAllowed } from './pipeline/hook-context.js';
import { bypass, fail, serveAlternate, serveEntry, serveOutcome, serveRespond } from './pipeline/serve.js';
import { type EngineCtx, type Flight, type Target, type Work, forwardsAuthorization, headerView, sha256 } from './pipeline/work.js';

export async function handleInstance(ctx: EngineCtx, inst: Instance, req: IncomingMessage, res: ServerResponse, t: Target, publicBase: string, requestId: string): Promise<void> {
  const fmt = inst.def.hooks?.errorBody as ErrorFormatter | undefined;
  const err = (status: number, msg: string, retryAfter?: number) => sendError(res, status, msg, { requestId, retryAfter, format: fmt, head: req.method === 'HEAD' });
  const path = t.segments.join('/');
  const query = new URLSearchParams(t.query);
  const headers = headerView(req);
  for (const [k, v] of Object.entries(inst.def.hooks?.responseHeaders?.({ method: req.method!, path, headers, query }, inst.block) ?? {})) if (!/[\r\n\0]/.test(v)) res.setHeader(k, v);
  const hit = classify(inst.routes, path, t.segments, { method: req.method!, headers, query }, inst.block);
  if (!hit) return err(404, `no such resource in ${inst.def.name} mode`);
  const { route, params } = hit;
  const spec = route.spec;
  const methods = spec.methods ?? ['GET', 'HEAD'];
  if (!methods.includes(req.method as 'GET')) return sendError(res, 405, `${req.method} is not allowed here`, { requestId, headers: { allow: methods.join(', ') }, format: fmt });
  const match: Match = Object.freeze({ method: req.method!, path, headers, query, params, segments: t.segments, trailingSlash: t.trailingSlash, config: inst.block });
  if (spec.status === 405) return sendError(res, 405, spec.message ?? `${req.method} is not allowed here`, { requestId, headers: { allow: 'GET, HEAD' }, format: fmt, head: req.method === 'HEAD' });
  if (spec.status) return err(spec.status, spec.message ?? 'not served');
  if (spec.respond) {
    const limit = parseSize(spec.maxBody ?? '1MiB');
    const body = req.method === 'GET' || req.method === 'HEAD' ? Buffer.alloc(0) : await readRequestBody(req, limit);
    if (!body) { res.setHeader('connection', 'close'); return err(413, `request body larger than ${limit} bytes`); }
    let out: RespondOutput;
    try {
      out = await spec.respond(match, body, hookContext(ctx, inst));
    } catch (e) {
      ctx.log.error('respond hook failed', { req_id: requestId, instance: inst.name, key: path.slice(0, 256), err: (e as Error).message });
      return err(500, 'internal error');
    }
    return serveRespond(inst, req, res, out, spec.kind ?? 'respond', requestId);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return err(405, `${req.method} is not allowed here`);
  const kindName = spec.kind!;
  const kind = inst.def.kinds[kindName]!;
  const routeKey = typeof spec.key === 'function' ? spec.key(match) : spec.key ? fillTemplate(spec.key, params) : path;
  const queryMode = (typeof spec.query === 'function' ? spec.query(inst.block) : spec.query) ?? 'drop';
  const upstreamHeaders: Record<string, string> = { ...(spec.headers?.(match) ?? {}) };
  let key = `${kindName}/${routeKey}`;
  if (queryMode === 'forward+key' && t.query) key += `?${t.query}`;
  const varyStart = key.length;
  const classes: Record<string, string> | undefined = kind.alternates ? {} : undefined;
  for (const [h, classOf] of Object.entries(kind.vary ?? {})) {
    const cls = classOf(headers[h]);
    if (cls) upstreamHeaders[h] = cls; // an empty class sends no header
    key += `;${h}=${cls}`;
    if (classes) classes[h] = cls;
  }
  const varyEnd = key.length;
  const pass = inst.def.passHeaders?.(inst.block);
  if (pass?.names.length) {
    const lines: string[] = [];
    for (const name of pass.names) {
      const v = headers[name.toLowerCase()];
      if (v !== undefined) { upstreamHeaders[name] = v; lines.push(`${name.toLowerCase()}=${v}`); }
    }
    if (pass.keyed && lines.length) key += `;h=${sha256(lines.sort().join('\n'))}`;
  }
  const upstreamPath = typeof spec.upstream === 'function' ? await spec.upstream(match, hookContext(ctx, inst)) : spec.upstream ? fillTemplate(spec.upstream, params) : t.rawSegments.join('/') + (t.trailingSlash ? '/' : '');
  const qs = queryMode !== 'drop' && t.query ? `?${t.query}` : '';
  const paths = Array.isArray(upstreamPath) ? upstreamPath : [upstreamPath];
  const absolute = paths.filter((p) => /^https?:\/\//.test(p));
  if (absolute.length) {
    await stateOf(ctx, inst).targets.ready();
    for (const p of absolute) {
      let target: URL | undefined;
      try { target = new URL(p); } catch { /* refused below */ }
      if (!target || !targetAllowed(ctx, inst, target)) return err(403, 'target not allowed');
    }
  }
  const candidates = paths.flatMap((p) => /^https?:\/\//.test(p) ? [p + qs] : inst.upstreams.map((u) => `${u}/${p.replace(/^\/+/, '')}${qs}`));
  const subject = inst.def.rules?.subject === 'path' || !inst.def.rules ? path : params[inst.def.rules.subject];
  let resolved = inst.resolve(kindName, subject);
  // transport.forward_authorization: the client's credentials go to the configured origins and the answer,
  // which may be personal, is never stored
  const forwarded = forwardsAuthorization(inst) ? req.headers.authorization : undefined;
  if (forwarded) { upstreamHeaders.authorization = forwarded; resolved = { ...resolved, policy: 'bypass' }; }
  const keyHash = sha256(`${inst.name}\n${key}`);
  const w: Work = {
    inst, res, req, method: req.method as 'GET' | 'HEAD', kind: kindName, resolved, key, keyHash, flightKey: `${inst.name}/${keyHash}`,
    candidates, upstreamHeaders, match, subject, authScope: spec.authScope?.(match), requestId, publicBase, started: performance.now(), bytes: 0,
    keyParts: classes && { head: key.slice(0, varyStart), classes, tail: key.slice(varyEnd) },
  };
  res.once('close', () => record(ctx, w));
  try {
    await decide(ctx, w);
  } catch (e) {
    ctx.log.error('request failed', { req_id: requestId, instance: inst.name, key: key.slice(0, 256), err: (e as Error).message });
    if (!res.headersSent) err(500, 'internal error'); else res.destroy();
  }
}

export function record(ctx: EngineCtx, w: Work): void {
  const cache = w.cache ?? 'ERROR';
  recordRequest({ instance: w.inst.name, mode: w.inst.def.name, kind: w.kind, cache, method: w.method, status: w.res.statusCode }, w.started, w.firstByteAt, w.bytes);
  if (ctx.config.log.access) ctx.log.info('access', { req_id: w.requestId, instance: w.inst.name, kind: w.kind, key: w.key.slice(0, 256), status: w.res.statusCode, cache, bytes: w.bytes, duration_ms: Math.round(performance.now() - w.started) });
}

// decision (engine spec §3.3)
async function decide(ctx: EngineCtx, w: Work): Promise<void> {
  const { resolved } = w;
  const offline = w.inst.cfg.offline ?? ctx.config.storage.offline;
  const admit = w.inst.def.kinds[w.kind]!.admit;
  if (admit) {
    const a = await admit({ match: w.match, ctx: hookContext(ctx, w.inst) });
    if (a === 'pass' && !offline) return bypass(ctx, w, 'PASSTHROUGH');
    if (typeof a === 'object') return fail(ctx, w, { status: a.status, message: a.message });
  }
  if (resolved.policy === 'bypass' && !offline) return bypass(ctx, w, 'BYPASS');
  const neg = ctx.negative.get(w.flightKey);
  if (neg && !offline) {
    w.cache = 'NEGATIVE';
    w.res.writeHead(neg.status, { 'content-type': neg.contentType ?? 'text/plain; charset=utf-8', 'content-length': neg.body.length, 'x-cache': 'NEGATIVE', 'x-request-id': w.requestId });
    w.res.end(w.method === 'HEAD' ? undefined : neg.body);
    return;
  }
  // a body already verified and served whose commit is still running: wait for it and answer from the store
  const committing = flights.get(w.flightKey)?.fill;
  if (committing?.committing) await committing.done;
  let entry = await lookup(ctx, w);
  if (entry && !offline && await contradictsVerify(ctx, w, entry)) entry = null; // refetched, verified, replaced
  if (offline) {
    if (entry) return serveEntry(ctx, w, entry, isFresh(w, entry) ? 'HIT' : 'STALE');
    if (await serveAlternate(ctx, w)) return;
    return fail(ctx, w, { status: 504, message: 'offline: not cached' });
  }
  const flight = flights.get(w.flightKey);
  if (entry) {
    if (resolved.policy === 'immutable') return serveEntry(ctx, w, entry, 'HIT');
    if (isFresh(w, entry)) return serveEntry(ctx, w, entry, 'FRESH');
    if (flight) {
      if (resolved.busy === 'stale') return serveEntry(ctx, w, entry, 'STALE');
      if (resolved.busy === 'bypass') return bypass(ctx, w, 'BYPASS');
      m.joins.inc({ instance: w.inst.name, kind: w.kind, via: flight.revalidation ? 'revalidation' : 'fill' });
      return serveOutcome(ctx, w, await flight.outcome, 'JOIN', entry);
    }
    return serveOwnFlight(ctx, w, startFlight(ctx, w, entry), 'REFRESH', entry);
  }
  if (flight) {
    if (resolved.busy === 'bypass' && resolved.policy !== 'immutable') return bypass(ctx, w, 'BYPASS');
    m.joins.inc({ instance: w.inst.name, kind: w.kind, via: flight.revalidation ? 'revalidation' : 'fill' });
    return serveOutcome(ctx, w, await flight.outcome, 'JOIN');
  }
  if (w.method === 'HEAD' && !w.inst.def.kinds[w.kind]!.rewrite) {
    const done = await headMiss(ctx, w);
    if (done) return;
  }
  return serveOwnFlight(ctx, w, startFlight(ctx, w, undefined), 'MISS');
}

/** the request that started a flight serves its outcome, then gives up the fill's hold on it */
async function serveOwnFlight(ctx: EngineCtx, w: Work, f: Flight, label: string, stale?: Entry): Promise<void> {
  const o = await f.outcome;
  try {
    await serveOutcome(ctx, w, o, label, stale);
  } finally {
    if (o.type === 'fill') o.release();
  }
}

/** kinds with `reverify`: a stored body the mode's current digests disagree with is not served */
async function contradictsVerify(ctx: EngineCtx, w: Work, e: Entry): Promise<boolean> {
  const kind = w.inst.def.kinds[w.kind]!;
  if (!kind.reverify || !kind.verify) return false;
  let want: VerifyResult;
  try { want = await kind.verify({ match: w.match, ctx: hookContext(ctx, w.inst), rule: w.resolved.rule }); } catch { return false; }
  if (!want) return false;
  if (want.size !== undefined && want.size !== e.size) return true;
  return (['sha256', 'sha512', 'sha1', 'md5'] as const).some((a) => want[a] !== undefined && e.digests[a] !== undefined && want[a] !== e.digests[a]);
}

/** a request body of at most `limit` bytes, or null when it is larger (the rest is not read) */
function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) { req.removeAllListeners('data'); req.pause(); resolve(null); return; }
      parts.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(parts)));
    req.once('error', () => resolve(null));
  });
}
