// One request, top to bottom: classify → key → decide (an Action) → answer (flights, upstream) → respond.
// Two entries share it: handleInstance for a client connection, fetchThrough for a hook that needs another
// key of its instance (a checksum file, a pinning document) read whole.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { Instance } from './instance.js';
import type { Match, RespondOutput, RouteSpec } from './mode.js';
import { classify, fillTemplate } from './routing.js';
import { parseSize } from './config/values.js';
import { sendError, type ErrorFormatter } from './http/respond.js';
import { recordRequest } from './request-metrics.js';
import { noteAccess } from './http/access-log.js';
import type { Answer } from './pipeline/actions.js';
import { answerOf } from './pipeline/answer.js';
import { streamToBuffer } from './pipeline/bodies.js';
import { bufferAnswer } from './pipeline/buffered.js';
import type { EngineCtx } from './pipeline/context.js';
import { decide } from './pipeline/decide.js';
import { hookContext } from './pipeline/hook-context.js';
import { ownerAnswer } from './pipeline/owned.js';
import { stateOf, targetAllowed } from './pipeline/instance-state.js';
import { pinnedRoute } from './pipeline/pinned.js';
import { serveRespond, writeAnswer } from './pipeline/serve.js';
import { targetOfPath, varyClasses } from './pipeline/vary.js';
import { type Reply, type RequestFacts, type Target, type Work, forwardsAuthorization, headerView, sha256 } from './pipeline/work.js';

/** a request classified and keyed (`work`), refused before any cache decision, or answered by a respond hook */
type Prepared =
  | { type: 'work'; w: Work }
  | { type: 'refuse'; status: number; message: string; headers?: Record<string, string>; bodyOnHead?: boolean }
  | { type: 'respond'; spec: RouteSpec; match: Match };

export async function handleInstance(ctx: EngineCtx, inst: Instance, req: IncomingMessage, res: ServerResponse, t: Target, publicBase: string, requestId: string): Promise<void> {
  const fmt = inst.def.hooks?.errorBody as ErrorFormatter | undefined;
  const err = (status: number, msg: string) => sendError(res, status, msg, { requestId, format: fmt, head: req.method === 'HEAD' });
  const path = t.segments.join('/');
  noteAccess(res, { instance: inst.name });
  for (const [k, v] of Object.entries(inst.def.hooks?.responseHeaders?.({ method: req.method!, path, headers: headerView(req.headers), query: new URLSearchParams(t.query) }, inst.block) ?? {})) if (!/[\r\n\0]/.test(v)) res.setHeader(k, v);
  const p = await prepare(ctx, inst, { method: req.method!, headers: req.headers, target: t, publicBase, requestId });
  if (p.type === 'refuse') return sendError(res, p.status, p.message, { requestId, headers: p.headers, format: fmt, head: !p.bodyOnHead && req.method === 'HEAD' });
  if (p.type === 'respond') {
    const limit = parseSize(p.spec.maxBody ?? '1MiB');
    const body = req.method === 'GET' || req.method === 'HEAD' ? Buffer.alloc(0) : await readRequestBody(req, limit);
    if (!body) { res.setHeader('connection', 'close'); return err(413, `request body larger than ${limit} bytes`); }
    let out: RespondOutput;
    try {
      out = await ownerAnswer(ctx, inst, p.spec, p.match, { method: req.method!, target: t, headers: req.headers, body, requestId })
        ?? await p.spec.respond!(p.match, body, hookContext(ctx, inst));
    } catch (e) {
      ctx.log.error('respond hook failed', { req_id: requestId, instance: inst.name, key: path.slice(0, 256), err: (e as Error).message });
      return err(500, 'internal error');
    }
    return serveRespond(inst, req, res, out, p.spec.kind ?? 'respond', requestId);
  }
  const w = p.w;
  const r: Reply = { req, res, bytes: 0 };
  res.once('close', () => record(w, r.cache ?? 'ERROR', res.statusCode, r));
  try {
    // decided anew (at most twice) when the answer could not start: a late joiner of a pass-through fill
    for (let attempt = 0; ; attempt++) {
      const answer = await answerOf(ctx, w, await decide(ctx, w));
      let again: void | 'again';
      try { again = await writeAnswer(ctx, w, r, answer); } finally { if (answer.type === 'fill') answer.release?.(); }
      if (again !== 'again') break;
      if (attempt === 2) { res.destroy(); break; }
    }
  } catch (e) {
    ctx.log.error('request failed', { req_id: requestId, instance: inst.name, key: w.key.slice(0, 256), err: (e as Error).message });
    if (!res.headersSent) err(500, 'internal error'); else res.destroy();
  }
}

/** a GET of another key of the same instance through the whole pipeline (rules apply), read whole */
export async function fetchThrough(ctx: EngineCtx, inst: Instance, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer } | null> {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const requestId = randomUUID();
  const p = await prepare(ctx, inst, { method: 'GET', headers: lower, target: targetOfPath(path), publicBase: '', requestId });
  if (p.type === 'refuse') return { status: p.status, body: Buffer.from(p.message) };
  if (p.type === 'respond') {
    const out = await p.spec.respond!(p.match, Buffer.alloc(0), hookContext(ctx, inst)).catch(() => null);
    if (!out) return { status: 500, body: Buffer.alloc(0) };
    const body = out.file ? await readFile(out.file.path) : out.body === undefined ? Buffer.alloc(0) : typeof out.body === 'string' || Buffer.isBuffer(out.body) ? Buffer.from(out.body) : await streamToBuffer(out.body);
    return { status: out.status, body };
  }
  const w = p.w;
  let answer: Answer | undefined;
  try {
    answer = await answerOf(ctx, w, await decide(ctx, w));
    const out = await bufferAnswer(ctx, w, answer);
    record(w, labelOf(answer), out.status, { bytes: out.body.length });
    return out;
  } catch (e) {
    ctx.log.error('request failed', { req_id: requestId, instance: inst.name, key: w.key.slice(0, 256), err: (e as Error).message });
    record(w, 'ERROR', 500, { bytes: 0 });
    return { status: 500, body: Buffer.alloc(0) };
  } finally {
    if (answer?.type === 'fill') answer.release?.();
  }
}

const labelOf = (a: Answer): string => ('label' in a ? a.label : a.type === 'negative' ? 'NEGATIVE' : a.type === 'head' ? 'MISS' : 'ERROR');

async function prepare(ctx: EngineCtx, inst: Instance, rq: RequestFacts): Promise<Prepared> {
  const t = rq.target;
  const path = t.segments.join('/');
  const query = new URLSearchParams(t.query);
  const headers = headerView(rq.headers);
  const hit = classify(inst.routes, path, t.segments, { method: rq.method, headers, query, trailingSlash: t.trailingSlash }, inst.block);
  if (!hit) return { type: 'refuse', status: 404, message: `no such resource in ${inst.def.name} mode` };
  const { route, params } = hit;
  const spec = route.spec;
  const methods = spec.methods ?? ['GET', 'HEAD'];
  if (!methods.includes(rq.method as 'GET')) return { type: 'refuse', status: 405, message: `${rq.method} is not allowed here`, headers: { allow: methods.join(', ') }, bodyOnHead: true };
  const match: Match = Object.freeze({ method: rq.method, path, headers, query, params, segments: t.segments, trailingSlash: t.trailingSlash, config: inst.block });
  if (spec.status === 405) return { type: 'refuse', status: 405, message: spec.message ?? `${rq.method} is not allowed here`, headers: { allow: 'GET, HEAD' } };
  if (spec.status) return { type: 'refuse', status: spec.status, message: spec.message ?? 'not served' };
  if (spec.respond) return { type: 'respond', spec, match };
  if (rq.method !== 'GET' && rq.method !== 'HEAD') return { type: 'refuse', status: 405, message: `${rq.method} is not allowed here` };
  const kindName = spec.kind!;
  const kind = inst.def.kinds[kindName]!;
  const routeKey = typeof spec.key === 'function' ? spec.key(match) : spec.key ? fillTemplate(spec.key, params) : path;
  const queryMode = (typeof spec.query === 'function' ? spec.query(inst.block) : spec.query) ?? 'drop';
  const upstreamHeaders: Record<string, string> = { ...(spec.headers?.(match) ?? {}) };
  let key = `${kindName}/${routeKey}`;
  if (queryMode === 'forward+key' && t.query) key += `?${t.query}`;
  const varyStart = key.length;
  const classes: Record<string, string> | undefined = kind.cache?.alternates ? {} : undefined;
  for (const [h, cls] of varyClasses(kind, headers, upstreamHeaders, inst.block)) {
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
  const pinned = kind.body?.pinnedBy;
  const pinRoute = pinned ? await pinnedRoute(ctx, inst, pinned, match, () => hookContext(ctx, inst)) : {};
  if (pinRoute.notFound !== undefined) return { type: 'refuse', status: 404, message: pinRoute.notFound };
  const pinTarget = pinRoute.target;
  if (pinTarget === undefined && typeof spec.upstream === 'function') await stateOf(ctx, inst).targets.ready(); // the hook may ask targetAllowed
  const upstreamPath = pinTarget !== undefined ? pinTarget : typeof spec.upstream === 'function' ? await spec.upstream(match, hookContext(ctx, inst)) : spec.upstream ? fillTemplate(spec.upstream, params) : t.rawSegments.join('/') + (t.trailingSlash ? '/' : '');
  if (upstreamPath === null) return { type: 'refuse', status: 404, message: spec.message ?? 'not found' };
  const qs = queryMode !== 'drop' && t.query ? `?${t.query}` : '';
  const paths = Array.isArray(upstreamPath) ? upstreamPath : [upstreamPath];
  const absolute = paths.filter((p) => /^https?:\/\//.test(p));
  if (absolute.length) {
    await stateOf(ctx, inst).targets.ready();
    for (const p of absolute) {
      let target: URL | undefined;
      try { target = new URL(p); } catch { /* refused below */ }
      if (!target || !targetAllowed(ctx, inst, target)) return { type: 'refuse', status: 403, message: 'target not allowed' };
    }
  }
  const candidates = paths.flatMap((p) => /^https?:\/\//.test(p) ? [p + qs] : inst.upstreams.map((u) => `${u}/${p.replace(/^\/+/, '')}${qs}`));
  const subject = inst.def.rules?.subject === 'path' || !inst.def.rules ? path : params[inst.def.rules.subject];
  let resolved = inst.resolve(kindName, subject);
  // transport.forward_authorization: the client's credentials go to the configured origins and the answer,
  // which may be personal, is never stored
  const forwarded = forwardsAuthorization(inst) ? rq.headers.authorization : undefined;
  if (forwarded) { upstreamHeaders.authorization = forwarded; resolved = { ...resolved, policy: 'bypass' }; }
  const keyHash = sha256(`${inst.name}\n${key}`);
  return {
    type: 'work',
    w: {
      inst, method: rq.method as 'GET' | 'HEAD', kind: kindName, resolved, key, keyHash, flightKey: `${inst.name}/${keyHash}`,
      candidates, upstreamHeaders, match, subject, authScope: spec.authScope?.(match), requestId: rq.requestId, publicBase: rq.publicBase, started: performance.now(), target: t,
      keyParts: classes && { head: key.slice(0, varyStart), classes, tail: key.slice(varyEnd) },
    },
  };
}

function record(w: Work, cache: string, status: number, r: { bytes: number; firstByteAt?: number; res?: ServerResponse }): void {
  recordRequest({ instance: w.inst.name, mode: w.inst.def.name, kind: w.kind, cache, method: w.method, status }, w.started, r.firstByteAt, r.bytes);
  if (r.res) noteAccess(r.res, { instance: w.inst.name, kind: w.kind, key: w.key, cache, bytes: r.bytes });
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
