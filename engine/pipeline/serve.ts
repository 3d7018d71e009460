// The responder: writes every Answer of the request path to the client — stored entries, running fills,
// passed-through upstream answers, remembered 404s, errors — and the answers of respond hooks. Conditionals
// and Range go through one routine (planRange) for all of them.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { Fill, readFromFill, type ReadSink } from '../cache/fill.js';
import type { Entry } from '../cache/store.js';
import type { Instance } from '../instance.js';
import type { KindSpec, RespondOutput } from '../mode.js';
import { planRange, type RangePlan } from '../http/range.js';
import { sendError, storedHeaders, guessType, send304 } from '../http/respond.js';
import { sendFileRange } from '../http/send-file.js';
import { recordRequest } from '../request-metrics.js';
import { noteAccess } from '../http/access-log.js';
import type { Answer } from './actions.js';
import { pipeTo, sinkFor, streamToBuffer } from './bodies.js';
import type { EngineCtx } from './context.js';
import { SMALL_BLOB, cacheEntry, expiresAt, smallBlob, timesOf } from './entries.js';
import { hookContext } from './hook-context.js';
import { rememberIfRepeatable } from './remember-hit.js';
import { representationOf } from './representation.js';
import { type FailureLike, type Head, type Reply, type UpstreamResponse, type Work, iso } from './work.js';

/** 'again': nothing was written and the request should be decided anew (a pass-through fill it joined too late) */
export async function writeAnswer(ctx: EngineCtx, w: Work, r: Reply, a: Answer): Promise<void | 'again'> {
  switch (a.type) {
    case 'entry': return serveEntry(ctx, a.from ?? w, r, a.entry, a.label, a.derived);
    case 'fill': return serveFill(ctx, w, r, a.fill, a.head, a.label);
    case 'upstream': return serveUpstream(ctx, w, r, a.resp, a.label);
    case 'response': return serveResponse(w, r, a);
    case 'negative': {
      r.cache = 'NEGATIVE';
      r.res.writeHead(a.record.status, { 'content-type': a.record.contentType ?? 'text/plain; charset=utf-8', 'content-length': a.record.body.length, 'x-cache': 'NEGATIVE', 'x-request-id': w.requestId });
      r.res.end(w.method === 'HEAD' ? undefined : a.record.body);
      return;
    }
    case 'head':
      r.cache = 'MISS';
      r.res.writeHead(a.status, { ...a.headers, 'x-cache': 'MISS', 'x-request-id': w.requestId });
      r.res.end();
      return;
    case 'error': return fail(w, r, a.failure);
  }
}

export function fail(w: Work, r: Reply, f: FailureLike): void {
  r.cache = 'ERROR';
  sendError(r.res, f.status, f.message, { requestId: w.requestId, retryAfter: f.retryAfter, format: w.inst.def.hooks?.errorBody, head: w.method === 'HEAD' });
}

/** status, first and last byte and content-range/content-length of a whole body or one range of it */
function span(plan: RangePlan, size: number, h: Record<string, string>): { status: number; start: number; end: number } {
  if (plan.type === 'part') {
    h['content-range'] = `bytes ${plan.start}-${plan.end}/${size}`;
    h['content-length'] = String(plan.end - plan.start + 1);
    return { status: 206, start: plan.start, end: plan.end };
  }
  h['content-length'] = String(Math.max(0, size));
  return { status: 200, start: 0, end: size - 1 };
}

const unsatisfiable = (w: Work, r: Reply, size: number) => sendError(r.res, 416, 'range not satisfiable', { requestId: w.requestId, headers: { 'content-range': `bytes */${size}` } });

/** a respond hook's answer; `file` bodies get Range, client conditionals and HEAD like stored entries */
export function serveRespond(inst: Instance, req: IncomingMessage, res: ServerResponse, out: RespondOutput, kind: string, requestId: string): void {
  const h: Record<string, string> = { ...(out.headers ?? {}), 'x-request-id': requestId };
  const cache = h['x-cache'] ?? 'RESPOND';
  const method = req.method ?? 'GET';
  const started = performance.now();
  res.once('close', () => recordRequest({ instance: inst.name, mode: inst.def.name, kind, cache, method, status: res.statusCode }, started, undefined, 0));
  noteAccess(res, { instance: inst.name, kind, cache });
  const head = method === 'HEAD';
  if (out.file) {
    const size = out.file.size;
    let status = out.status, start = 0, end = size - 1;
    if (status === 200) {
      h['accept-ranges'] = 'bytes';
      const plan = planRange(req.headers, { size, etag: h.etag, lastModified: h['last-modified'] });
      if (plan.type === 'not-modified') return send304(res, h);
      if (plan.type === 'unsatisfiable') return void sendError(res, 416, 'range not satisfiable', { requestId, headers: { 'content-range': `bytes */${size}` } });
      ({ status, start, end } = span(plan, size, h));
    }
    h['content-length'] = String(Math.max(0, end - start + 1));
    res.writeHead(status, h);
    if (head || size === 0) { res.end(); return; }
    const src = createReadStream(out.file.path, { start, end, highWaterMark: 256 * 1024 });
    src.once('error', () => res.destroy());
    res.once('close', () => src.destroy());
    src.pipe(res);
    return;
  }
  if (out.body === undefined || typeof out.body === 'string' || Buffer.isBuffer(out.body)) {
    if (out.body !== undefined && h['content-length'] === undefined) h['content-length'] = String(Buffer.byteLength(out.body));
    res.writeHead(out.status, h);
    res.end(head ? undefined : out.body);
    return;
  }
  const body = out.body;
  res.writeHead(out.status, h);
  if (head) { body.destroy(); res.end(); return; }
  body.once('error', () => res.destroy());
  res.once('close', () => body.destroy());
  body.pipe(res);
}

function serveResponse(w: Work, r: Reply, o: Extract<Answer, { type: 'response' }>): void {
  r.cache = o.label;
  const ct = o.headers['content-type'] ?? '';
  const textual = /^(text\/|application\/(json|problem\+json|xml))/.test(ct);
  if ((!textual || o.body.length === 0) && w.inst.def.hooks?.errorBody) return fail(w, r, { status: o.status, message: `upstream answered ${o.status}`, retryAfter: o.headers['retry-after'] ? Number(o.headers['retry-after']) || undefined : undefined });
  const body = textual ? o.body : Buffer.from(`${o.status} ${o.status === 404 ? 'Not Found' : 'upstream answered ' + o.status}\n`);
  const h: Record<string, string | number> = { 'content-type': textual ? ct : 'text/plain; charset=utf-8', 'content-length': body.length, 'x-cache': o.label, 'x-request-id': w.requestId };
  if (o.headers['retry-after']) h['retry-after'] = o.headers['retry-after'];
  r.res.writeHead(o.status, h);
  r.res.end(w.method === 'HEAD' ? undefined : body);
}

function commonHeaders(w: Work, r: Reply, cache: string, extra: Record<string, string>): Record<string, string> {
  r.cache = cache;
  const h: Record<string, string> = { ...extra, 'x-cache': cache, 'x-request-id': w.requestId, 'x-cache-policy': w.resolved.policy };
  const vary = varyOf(w.inst.def.kinds[w.kind]!);
  if (vary.length) h.vary = [...new Set([...(h.vary ? h.vary.split(/,\s*/) : []), ...vary])].join(', ');
  return h;
}

/** a kind that fixes the Content-Type of its bodies (`body.contentType`) */
function typed(w: Work, h: Record<string, string>): Record<string, string> {
  const ct = w.inst.def.kinds[w.kind]!.body?.contentType;
  if (ct) h['content-type'] = typeof ct === 'string' ? ct : ct(w.match);
  return h;
}

const varyNames = new WeakMap<KindSpec, string[]>();
function varyOf(kind: KindSpec): string[] {
  let v = varyNames.get(kind);
  if (!v) { v = Object.keys(kind.cache?.vary ?? {}).map((x) => x.replace(/\b\w/g, (c) => c.toUpperCase())); varyNames.set(kind, v); }
  return v;
}

async function serveFill(ctx: EngineCtx, w: Work, r: Reply, fill: Fill, head: Head, cache: string): Promise<void | 'again'> {
  if (w.inst.def.kinds[w.kind]!.body?.rewrite) {
    // a body that will not be stored (store degraded, too large) is read as it arrives and rewritten from memory
    const unstored = fill.stores ? undefined : bodyOf(fill);
    const result = await fill.done;
    if (fill.state !== 'complete') return fail(w, r, { status: 502, message: fill.error?.message ?? 'upstream failed' });
    const entry = unstored ? null : await ctx.store.entries.get(w.inst.name, w.keyHash);
    if (entry) return serveEntry(ctx, w, r, entry, cache);
    // not stored after all (the disk filled up during the fill): its bytes are still in memory
    const raw = await (unstored ?? bodyOf(fill));
    if (!raw) return fail(w, r, { status: 502, message: `could not store the response (${result})` });
    return sendRewritten(ctx, w, r, raw, commonHeaders(w, r, 'BYPASS', { ...head.headers }));
  }
  // a body that will not be stored (too large, store degraded, digest turned out unknown) is served as BYPASS
  if (!fill.stores || (fill.expectation && isServedUnstored(await fill.expectation.catch(() => null)))) cache = 'BYPASS';
  const h = typed(w, commonHeaders(w, r, cache, { ...head.headers, 'x-cache-fetched-at': new Date().toUTCString() }));
  let size = head.size;
  const rangeHeader = r.req.headers.range;
  if (rangeHeader && size === undefined && /=\s*-/.test(rangeHeader)) { await fill.done; size = fill.state === 'complete' ? fill.received : undefined; }
  const plan = planRange(r.req.headers, { size, etag: head.headers.etag, lastModified: head.headers['last-modified'] });
  if (plan.type === 'not-modified') return send304(r.res, h);
  if (plan.type === 'unsatisfiable') return unsatisfiable(w, r, size!);
  if (plan.type === 'parts') {
    await fill.done;
    const entry = fill.state === 'complete' ? await ctx.store.entries.get(w.inst.name, w.keyHash) : null;
    if (entry) return serveEntry(ctx, w, r, entry, cache);
  }
  let status = 200, start = 0, end: number | undefined;
  if (size !== undefined) {
    h['accept-ranges'] = 'bytes';
    if (plan.type !== 'parts') ({ status, start, end } = span(plan, size, h));
    if (status === 200) end = undefined;
  }
  if (w.method === 'HEAD') { r.res.writeHead(status, h); r.res.end(); return; }
  // the head goes out with the first body bytes, so a fill that fails before any byte becomes a clean 502
  const sink = sinkFor(r);
  const lazy: ReadSink = {
    closed: sink.closed,
    write: (b) => { if (!r.res.headersSent) r.res.writeHead(status, h); return sink.write(b); },
    flush: (bs) => { if (!r.res.headersSent) r.res.writeHead(status, h); return sink.flush!(bs); },
  };
  const ok = await readFromFill(fill, lazy, start, end);
  if (ok && !r.res.destroyed) {
    if (!r.res.headersSent) r.res.writeHead(status, h);
    r.res.end();
  } else if (!r.res.headersSent && fill.state === 'failed') {
    fail(w, r, { status: fill.status ?? 502, message: fill.describe(w.match.path) });
  } else if (!r.res.headersSent && !r.res.destroyed && !fill.joinable) {
    // joined a fill without a disk copy whose first bytes had already left memory: nothing sent yet
    return 'again';
  } else r.res.destroy();
}

/** `derived`: a body made from the entry's (alternates.ts), served in place of its blob and never stored */
async function serveEntry(ctx: EngineCtx, w: Work, r: Reply, e: Entry, cache: string, derived?: Buffer): Promise<void> {
  const now = Date.now();
  ctx.index.touched(w.inst.name, w.keyHash);
  if (!derived && w.resolved.policy === 'immutable' && w.resolved.expireMs !== Infinity) {
    if (now - timesOf(e).lastUsed > 3600_000) {
      const touched: Entry = { ...e, last_used_at: iso(now), expires_at: expiresAt(w, now) };
      cacheEntry(ctx, touched);
      void ctx.store.entries.put(touched).catch(() => undefined);
    }
  }
  const rep = await representationOf(ctx, w, e, derived);
  let body = rep.body;
  const size = body ? body.length : e.size;
  const h = typed(w, commonHeaders(w, r, cache, rep.headers));
  const t = timesOf(e);
  h.age = String(Math.max(0, Math.floor((now - t.validated) / 1000)));
  h['x-cache-fetched-at'] = t.fetchedHttp;
  if (t.expiresHttp) h['x-cache-expires-at'] = t.expiresHttp;
  if (w.resolved.freshMs !== undefined && w.resolved.freshMs !== Infinity) h['x-cache-fresh-until'] = new Date(t.validated + w.resolved.freshMs).toUTCString();
  if (!h['content-type']) h['content-type'] = guessType(w.match.path);
  h['accept-ranges'] = 'bytes';
  const plan = planRange(r.req.headers, { size, etag: h.etag, lastModified: h['last-modified'], stableValidators: !body });
  if (plan.type === 'not-modified') return send304(r.res, h);
  if (plan.type === 'unsatisfiable') return unsatisfiable(w, r, size);
  const digest = e.blob.slice(7);
  if (!body && e.size <= SMALL_BLOB) body = await smallBlob(ctx, digest);
  const open = async (start: number, end: number): Promise<Readable | Buffer> => (body ? body.subarray(start, end + 1) : ctx.store.blobs.open(digest, { start, end }));
  if (plan.type === 'parts') {
    const boundary = `cp-${randomUUID()}`;
    const ct = h['content-type'];
    const parts = plan.ranges.map((x) => ({ ...x, head: `\r\n--${boundary}\r\ncontent-type: ${ct}\r\ncontent-range: bytes ${x.start}-${x.end}/${size}\r\n\r\n` }));
    const tail = `\r\n--${boundary}--\r\n`;
    const total = parts.reduce((n, p) => n + Buffer.byteLength(p.head) + p.end - p.start + 1, 0) + Buffer.byteLength(tail);
    r.res.writeHead(206, { ...h, 'content-type': `multipart/byteranges; boundary=${boundary}`, 'content-length': String(total) });
    if (w.method === 'HEAD') { r.res.end(); return; }
    const sink = sinkFor(r);
    for (const p of parts) {
      await sink.write(Buffer.from(p.head));
      await pipeTo(await open(p.start, p.end), sink);
    }
    r.res.end(tail);
    return;
  }
  const { status, start, end } = span(plan, size, h);
  if (status === 200 && body && !derived) rememberIfRepeatable(ctx, w, r, e, cache, h, body);
  r.res.writeHead(status, h);
  if (w.method === 'HEAD' || size === 0) { r.res.end(); return; }
  if (!body && ctx.store.blobs.localPath) {
    const sent = await sendFileRange(ctx.store.blobs.localPath(digest), start, end, r.res, (n) => { r.firstByteAt ??= performance.now(); r.bytes += n; }).catch(() => false);
    if (sent) r.res.end(); else r.res.destroy();
    return;
  }
  const src = await open(start, end);
  if (Buffer.isBuffer(src)) { r.firstByteAt = performance.now(); r.bytes += src.length; r.res.end(src); return; }
  await new Promise<void>((resolve) => {
    src.once('data', () => { r.firstByteAt ??= performance.now(); });
    src.on('data', (c: Buffer) => { r.bytes += c.length; });
    src.once('error', () => { r.res.destroy(); resolve(); });
    r.res.once('close', () => { src.destroy(); resolve(); });
    src.pipe(r.res);
  });
}

/** a body not stored, through the kind's rewrite, answered whole (no validator: the rewritten bytes have none) */
async function sendRewritten(ctx: EngineCtx, w: Work, r: Reply, raw: Buffer, h: Record<string, string>): Promise<void> {
  const out = await w.inst.def.kinds[w.kind]!.body!.rewrite!({ body: raw, headers: { ...h }, publicBase: w.publicBase, match: w.match, ctx: hookContext(ctx, w.inst) });
  Object.assign(h, out.headers ?? {});
  h['content-length'] = String(out.body.length);
  delete h.etag;
  r.res.writeHead(200, h);
  r.res.end(w.method === 'HEAD' ? undefined : out.body);
}

/** the whole body of a fill, read from it as it arrives (null if the fill fails) */
async function bodyOf(fill: Fill): Promise<Buffer | null> {
  const parts: Buffer[] = [];
  const sink: ReadSink = { write: async (b) => { parts.push(Buffer.from(b)); }, closed: () => false };
  return (await readFromFill(fill, sink)) ? Buffer.concat(parts) : null;
}

/** an upstream answer passed through (bypass, passthrough); a kind's rewrite still applies to a 200 GET */
async function serveUpstream(ctx: EngineCtx, w: Work, r: Reply, resp: UpstreamResponse, cache: string): Promise<void> {
  const { storeHeaders, rewrite } = w.inst.def.kinds[w.kind]!.body ?? {};
  const h = commonHeaders(w, r, cache, storedHeaders(resp.headers, storeHeaders));
  for (const k of ['content-length', 'content-range', 'accept-ranges', 'retry-after']) if (resp.headers[k]) h[k] = resp.headers[k]!;
  if (rewrite && resp.status === 200 && w.method === 'GET') {
    const raw = await streamToBuffer(resp.body);
    resp.release();
    return sendRewritten(ctx, w, r, raw, h);
  }
  r.res.writeHead(resp.status, h);
  if (w.method === 'HEAD' || resp.status === 304) { resp.body.resume(); resp.release(); r.res.end(); return; }
  const sink = sinkFor(r);
  try {
    let n = 0;
    for await (const c of resp.body as AsyncIterable<Buffer>) { n += c.length; await sink.write(c); if (sink.closed()) break; }
    const cl = resp.headers['content-length'];
    if (cl && Number(cl) !== n && resp.status === 200) r.res.destroy(); else r.res.end();
  } catch {
    r.res.destroy();
  } finally {
    resp.release();
  }
}

/** an unknown digest whose body is served but not kept */
const isServedUnstored = (e: { skip?: boolean; keep?: boolean } | null | undefined): boolean => !!e?.skip && e.keep !== true;
