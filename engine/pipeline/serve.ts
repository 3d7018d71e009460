// Answers (engine spec §3.6, §3.10): from a stored entry, a running fill, a flight outcome, a respond hook
// or a bypass — with Range, conditionals, rewrites and the engine's headers.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { Fill, readFromFill, type ReadSink } from '../cache/fill.js';
import type { Entry } from '../cache/store.js';
import type { Instance } from '../instance.js';
import type { RespondOutput } from '../mode.js';
import { parseRange, ifRangeAllows } from '../http/range.js';
import { sendError, storedHeaders, guessType, notModified, send304 } from '../http/respond.js';
import { sendFileRange } from '../http/send-file.js';
import { recordRequest } from '../request-metrics.js';
import { pipeTo, sinkFor, streamToBuffer } from './bodies.js';
import { SMALL_BLOB, cacheEntry, expiresAt, smallBlob, timesOf } from './entries.js';
import { hookContext } from './hook-context.js';
import { rememberIfRepeatable } from './remember-hit.js';
import { findAlternate } from './alternates.js';
import { upstreamRequest } from './upstream.js';
import { type EngineCtx, type FailureLike, type FlightOutcome, type Head, type UpstreamResponse, type Work, asFailure, iso, sha256 } from './work.js';

const rewriteMemo = new Map<string, { body: Buffer; headers: Record<string, string> }>();
/** a respond hook's answer; `file` bodies get Range, client conditionals and HEAD like stored entries */
export function serveRespond(inst: Instance, req: IncomingMessage, res: ServerResponse, out: RespondOutput, kind: string, requestId: string): void {
  const h: Record<string, string> = { ...(out.headers ?? {}), 'x-request-id': requestId };
  const cache = h['x-cache'] ?? 'RESPOND';
  const method = req.method ?? 'GET';
  const started = performance.now();
  res.once('close', () => recordRequest({ instance: inst.name, mode: inst.def.name, kind, cache, method, status: res.statusCode }, started, undefined, 0));
  const head = method === 'HEAD';
  if (out.file) {
    const size = out.file.size;
    let status = out.status, start = 0, end = size - 1;
    if (status === 200) {
      h['accept-ranges'] = 'bytes';
      if (notModified(req, h.etag, h['last-modified'])) return send304(res, h);
      const r = ifRangeAllows(req.headers['if-range'] as string | undefined, h.etag, h['last-modified']) ? parseRange(req.headers.range, size) : { type: 'none' as const };
      if (r.type === 'unsatisfiable') return sendError(res, 416, 'range not satisfiable', { requestId, headers: { 'content-range': `bytes */${size}` } });
      if (r.type === 'ranges' && r.ranges.length === 1) {
        start = r.ranges[0]!.start; end = r.ranges[0]!.end; status = 206;
        h['content-range'] = `bytes ${start}-${end}/${size}`;
      }
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

export function fail(ctx: EngineCtx, w: Work, f: FailureLike): void {
  w.cache = 'ERROR';
  sendError(w.res, f.status, f.message, { requestId: w.requestId, retryAfter: f.retryAfter, format: w.inst.def.hooks?.errorBody, head: w.method === 'HEAD' });
}

export async function serveOutcome(ctx: EngineCtx, w: Work, o: FlightOutcome, label: string, stale?: Entry): Promise<void> {
  switch (o.type) {
    case 'entry':
      return serveEntry(ctx, w, o.entry, o.label ?? 'HIT');
    case 'stale':
      if (stale) return serveEntry(ctx, w, stale, 'STALE');
      if (await serveAlternate(ctx, w)) return;
      return fail(ctx, w, { status: 502, message: 'upstream failed' });
    case 'error':
      if (stale && !o.failure.passThrough && Date.parse(stale.expires_at ?? '9999') > Date.now()) return serveEntry(ctx, w, stale, 'STALE');
      if (!stale && !o.failure.passThrough && await serveAlternate(ctx, w)) return;
      return fail(ctx, w, o.failure);
    case 'response': {
      if (o.status >= 500 && !stale && await serveAlternate(ctx, w)) return;
      w.cache = label === 'JOIN' ? 'JOIN' : 'MISS';
      const ct = o.headers['content-type'] ?? '';
      const textual = /^(text\/|application\/(json|problem\+json|xml))/.test(ct);
      if ((!textual || o.body.length === 0) && w.inst.def.hooks?.errorBody) return fail(ctx, w, { status: o.status, message: `upstream answered ${o.status}`, retryAfter: o.headers['retry-after'] ? Number(o.headers['retry-after']) || undefined : undefined });
      const body = textual ? o.body : Buffer.from(`${o.status} ${o.status === 404 ? 'Not Found' : 'upstream answered ' + o.status}\n`);
      const h: Record<string, string | number> = { 'content-type': textual ? ct : 'text/plain; charset=utf-8', 'content-length': body.length, 'x-cache': w.cache, 'x-request-id': w.requestId };
      if (o.headers['retry-after']) h['retry-after'] = o.headers['retry-after'];
      w.res.writeHead(o.status, h);
      w.res.end(w.method === 'HEAD' ? undefined : body);
      return;
    }
    case 'fill':
      return serveFill(ctx, w, o.fill, o.head, label);
  }
}

function commonHeaders(w: Work, cache: string, extra: Record<string, string>): Record<string, string> {
  w.cache = cache;
  const h: Record<string, string> = { ...extra, 'x-cache': cache, 'x-request-id': w.requestId, 'x-cache-policy': w.resolved.policy };
  const vary = varyOf(w.inst.def.kinds[w.kind]!);
  if (vary.length) h.vary = [...new Set([...(h.vary ? h.vary.split(/,\s*/) : []), ...vary])].join(', ');
  return h;
}

const varyNames = new WeakMap<object, string[]>();
function varyOf(kind: { vary?: Record<string, unknown> }): string[] {
  let v = varyNames.get(kind);
  if (!v) { v = Object.keys(kind.vary ?? {}).map((x) => x.replace(/\b\w/g, (c) => c.toUpperCase())); varyNames.set(kind, v); }
  return v;
}

async function serveFill(ctx: EngineCtx, w: Work, fill: Fill, head: Head, cache: string): Promise<void> {
  const kind = w.inst.def.kinds[w.kind]!;
  if (kind.rewrite) {
    const result = await fill.done;
    if (fill.state !== 'complete') return fail(ctx, w, { status: 502, message: fill.error?.message ?? 'upstream failed' });
    const entry = await ctx.store.entries.get(w.inst.name, w.keyHash);
    if (!entry) return fail(ctx, w, { status: 502, message: `could not store the response (${result})` });
    return serveEntry(ctx, w, entry, cache);
  }
  // a body that will not be stored (too large, store degraded, digest turned out unknown) is served as BYPASS
  if (!fill.stores || (fill.expectation && (await fill.expectation.catch(() => null))?.skip)) cache = 'BYPASS';
  const h = commonHeaders(w, cache, { ...head.headers, 'x-cache-fetched-at': new Date().toUTCString() });
  if (notModified(w.req, head.headers.etag, head.headers['last-modified'])) return send304(w.res, h);
  let size = head.size;
  const rangeHeader = w.req.headers.range;
  if (rangeHeader && size === undefined && /=\s*-/.test(rangeHeader)) { await fill.done; size = fill.state === 'complete' ? fill.received : undefined; }
  let start = 0, end: number | undefined;
  let status = 200;
  if (size !== undefined) {
    h['accept-ranges'] = 'bytes';
    const r = ifRangeAllows(w.req.headers['if-range'] as string | undefined, head.headers.etag, head.headers['last-modified']) ? parseRange(rangeHeader, size) : { type: 'none' as const };
    if (r.type === 'unsatisfiable') return sendError(w.res, 416, 'range not satisfiable', { requestId: w.requestId, headers: { 'content-range': `bytes */${size}` } });
    if (r.type === 'ranges' && r.ranges.length === 1) {
      start = r.ranges[0]!.start; end = r.ranges[0]!.end; status = 206;
      h['content-range'] = `bytes ${start}-${end}/${size}`;
      h['content-length'] = String(end - start + 1);
    } else if (r.type === 'ranges') {
      await fill.done;
      const entry = fill.state === 'complete' ? await ctx.store.entries.get(w.inst.name, w.keyHash) : null;
      if (entry) return serveEntry(ctx, w, entry, cache);
    } else {
      h['content-length'] = String(size);
    }
  }
  if (w.method === 'HEAD') { w.res.writeHead(status, h); w.res.end(); return; }
  // the head goes out with the first body bytes, so a fill that fails before any byte becomes a clean 502
  const sink = sinkFor(w);
  const lazy: ReadSink = {
    closed: sink.closed,
    write: (b) => { if (!w.res.headersSent) w.res.writeHead(status, h); return sink.write(b); },
    flush: (bs) => { if (!w.res.headersSent) w.res.writeHead(status, h); return sink.flush!(bs); },
  };
  const ok = await readFromFill(fill, lazy, start, end);
  if (ok && !w.res.destroyed) {
    if (!w.res.headersSent) w.res.writeHead(status, h);
    w.res.end();
  } else if (!w.res.headersSent && fill.state === 'failed') {
    fail(ctx, w, { status: fill.status ?? 502, message: fill.describe(w.match.path) });
  } else w.res.destroy();
}

/** `derived`: a body made from the entry's (alternates.ts), served in place of its blob and never stored */
export async function serveEntry(ctx: EngineCtx, w: Work, e: Entry, cache: string, derived?: Buffer): Promise<void> {
  const now = Date.now();
  ctx.index.touched(w.inst.name, w.keyHash);
  if (!derived && w.resolved.policy === 'immutable' && w.resolved.expireMs !== Infinity) {
    if (now - timesOf(e).lastUsed > 3600_000) {
      const touched: Entry = { ...e, last_used_at: iso(now), expires_at: expiresAt(w, now) };
      cacheEntry(touched);
      void ctx.store.entries.put(touched).catch(() => undefined);
    }
  }
  const kind = w.inst.def.kinds[w.kind]!;
  let headers: Record<string, string> = { ...e.headers };
  let body: Buffer | undefined;
  if (kind.rewrite) {
    const memoKey = `${e.blob}\n${w.publicBase}\n${w.inst.name}\n${w.kind}`;
    let out = rewriteMemo.get(memoKey);
    if (!out) {
      const raw = derived ?? await streamToBuffer(await ctx.store.blobs.open(e.blob.slice(7)));
      const r = await kind.rewrite({ body: raw, headers: { ...e.headers }, publicBase: w.publicBase, match: w.match, ctx: hookContext(ctx, w.inst) });
      const etag = `W/"${sha256(`${e.blob}\n1\n${w.publicBase}`).slice(0, 32)}"`;
      out = { body: r.body, headers: { ...e.headers, ...(r.headers ?? {}), etag } };
      rewriteMemo.set(memoKey, out);
      if (rewriteMemo.size > 1000) rewriteMemo.delete(rewriteMemo.keys().next().value!);
    }
    headers = { ...out.headers };
    body = out.body;
  } else body = derived;
  const size = body ? body.length : e.size;
  const h = commonHeaders(w, cache, headers);
  const t = timesOf(e);
  h.age = String(Math.max(0, Math.floor((now - t.validated) / 1000)));
  h['x-cache-fetched-at'] = t.fetchedHttp;
  if (t.expiresHttp) h['x-cache-expires-at'] = t.expiresHttp;
  if (w.resolved.freshMs !== undefined && w.resolved.freshMs !== Infinity) h['x-cache-fresh-until'] = new Date(t.validated + w.resolved.freshMs).toUTCString();
  if (!h['content-type']) h['content-type'] = guessType(w.match.path);
  h['accept-ranges'] = 'bytes';
  if (notModified(w.req, h.etag, h['last-modified'])) return send304(w.res, h);
  const allowRange = body ? !w.req.headers['if-range'] : ifRangeAllows(w.req.headers['if-range'] as string | undefined, h.etag, h['last-modified']);
  const r = allowRange ? parseRange(w.req.headers.range, size) : { type: 'none' as const };
  if (r.type === 'unsatisfiable') return sendError(w.res, 416, 'range not satisfiable', { requestId: w.requestId, headers: { 'content-range': `bytes */${size}` } });
  const digest = e.blob.slice(7);
  if (!body && e.size <= SMALL_BLOB) body = await smallBlob(ctx, digest);
  const open = async (start: number, end: number): Promise<Readable | Buffer> => (body ? body.subarray(start, end + 1) : ctx.store.blobs.open(digest, { start, end }));
  if (r.type === 'ranges' && r.ranges.length > 1) {
    const boundary = `cp-${randomUUID()}`;
    const ct = h['content-type'];
    const parts = r.ranges.map((x) => ({ ...x, head: `\r\n--${boundary}\r\ncontent-type: ${ct}\r\ncontent-range: bytes ${x.start}-${x.end}/${size}\r\n\r\n` }));
    const tail = `\r\n--${boundary}--\r\n`;
    const total = parts.reduce((n, p) => n + Buffer.byteLength(p.head) + p.end - p.start + 1, 0) + Buffer.byteLength(tail);
    w.res.writeHead(206, { ...h, 'content-type': `multipart/byteranges; boundary=${boundary}`, 'content-length': String(total) });
    if (w.method === 'HEAD') { w.res.end(); return; }
    const sink = sinkFor(w);
    for (const p of parts) {
      await sink.write(Buffer.from(p.head));
      await pipeTo(await open(p.start, p.end), sink);
    }
    w.res.end(tail);
    return;
  }
  let start = 0, end = size - 1, status = 200;
  if (r.type === 'ranges') {
    start = r.ranges[0]!.start; end = r.ranges[0]!.end; status = 206;
    h['content-range'] = `bytes ${start}-${end}/${size}`;
  }
  h['content-length'] = String(end - start + 1);
  if (status === 200 && body && !derived) rememberIfRepeatable(ctx, w, e, cache, h, body);
  w.res.writeHead(status, h);
  if (w.method === 'HEAD' || size === 0) { w.res.end(); return; }
  if (!body && ctx.store.blobs.localPath) {
    const sent = await sendFileRange(ctx.store.blobs.localPath(digest), start, end, w.res, (n) => { w.firstByteAt ??= performance.now(); w.bytes += n; }).catch(() => false);
    if (sent) w.res.end(); else w.res.destroy();
    return;
  }
  const src = await open(start, end);
  if (Buffer.isBuffer(src)) { w.firstByteAt = performance.now(); w.bytes += src.length; w.res.end(src); return; }
  await new Promise<void>((resolve) => {
    src.once('data', () => { w.firstByteAt ??= performance.now(); });
    src.on('data', (c: Buffer) => { w.bytes += c.length; });
    src.once('error', () => { w.res.destroy(); resolve(); });
    w.res.once('close', () => { src.destroy(); resolve(); });
    src.pipe(w.res);
  });
}

export async function bypass(ctx: EngineCtx, w: Work, cache: string): Promise<void> {
  const extra: Record<string, string> = {};
  for (const h of ['if-none-match', 'if-modified-since', 'range', 'if-range']) {
    const v = w.req.headers[h];
    if (typeof v === 'string') extra[h] = v;
  }
  let resp: UpstreamResponse;
  try {
    resp = await upstreamRequest(ctx, w, w.method, extra);
  } catch (e) {
    return fail(ctx, w, asFailure(e));
  }
  const kind = w.inst.def.kinds[w.kind]!;
  const h = commonHeaders(w, cache, storedHeaders(resp.headers, kind.storeHeaders));
  for (const k of ['content-length', 'content-range', 'accept-ranges', 'retry-after']) if (resp.headers[k]) h[k] = resp.headers[k]!;
  if (kind.rewrite && resp.status === 200 && w.method === 'GET') {
    const raw = await streamToBuffer(resp.body);
    resp.release();
    const r = await kind.rewrite({ body: raw, headers: { ...h }, publicBase: w.publicBase, match: w.match, ctx: hookContext(ctx, w.inst) });
    Object.assign(h, r.headers ?? {});
    h['content-length'] = String(r.body.length);
    delete h.etag;
    w.res.writeHead(200, h);
    w.res.end(r.body);
    return;
  }
  w.res.writeHead(resp.status, h);
  if (w.method === 'HEAD' || resp.status === 304) { resp.body.resume(); resp.release(); w.res.end(); return; }
  const sink = sinkFor(w);
  try {
    let n = 0;
    for await (const c of resp.body as AsyncIterable<Buffer>) { n += c.length; await sink.write(c); if (sink.closed()) break; }
    const cl = resp.headers['content-length'];
    if (cl && Number(cl) !== n && resp.status === 200) w.res.destroy(); else w.res.end();
  } catch {
    w.res.destroy();
  } finally {
    resp.release();
  }
}

/** serves an alternate representation of w's key (STALE) if one is stored and acceptable; false when none is */
export async function serveAlternate(ctx: EngineCtx, w: Work): Promise<boolean> {
  const alt = await findAlternate(ctx, w);
  if (!alt) return false;
  w.cache = 'STALE';
  try {
    await serveEntry(ctx, alt.src, alt.entry, 'STALE', alt.body);
  } finally {
    w.bytes = alt.src.bytes;
    w.firstByteAt = alt.src.firstByteAt;
  }
  return true;
}
