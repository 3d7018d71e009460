// One request, top to bottom (engine spec §3): classify → policy → cache / fill / revalidate → respond.
import * as crypto from 'node:crypto';
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Fill, readFromFill, RejectedBody, VerifyError, type ReadSink, type FillResult } from './cache/fill.js';
import { StatePins } from './cache/pins.js';
import { LearnedTargets } from './upstream/targets.js';
import { parseSize } from './config/values.js';
import type { Entry, Store } from './cache/store.js';
import { NegativeCache } from './cache/negative.js';
import type { Instance, Resolved } from './instance.js';
import type { Match, HookContext, StaticCredentials, BindTarget, VerifyResult, ModeTasks, UpstreamFetch, UpstreamReply, RespondOutput } from './mode.js';
import { UpstreamAuth } from './upstream/auth.js';
import { isPublicHttps } from './upstream/public-host.js';
import { classify, fillTemplate } from './routing.js';
import { parseRange, ifRangeAllows } from './http/range.js';
import { sendError, storedHeaders, guessType, notModified, send304, type ErrorFormatter } from './http/respond.js';
import { sendFileRange } from './http/send-file.js';
import type { EffectiveConfig } from './config/types.js';
import { m, modeCounter, modeHistogram } from './metrics.js';
import { recordRequest } from './request-metrics.js';
import { rememberHit, hotKey, isPlainRequest } from './hot-hits.js';
import type { Logger } from './mode.js';

// ---- what the pipeline needs from the upstream client ----
export interface UpstreamResponse { status: number; headers: Record<string, string>; body: Readable; url: string; origin: string; release(): void }
export interface UpstreamRequest {
  instance: string; candidates: string[]; method: 'GET' | 'HEAD'; headers?: Record<string, string>; foreground: boolean;
  signal?: AbortSignal; failoverOn404?: boolean; allowed: (url: URL) => boolean | Promise<boolean>; credentials?: { origin: string; header: string };
  /** challenge-driven auth (modes with hooks.upstreamAuth or credentialsFor): header before sending, one retry after a 401 */
  auth?: { header(origin: string): Promise<string | undefined>; retry(origin: string, wwwAuthenticate: string, sent: string | undefined): Promise<string | undefined> };
}
export interface UpstreamLike {
  request(o: UpstreamRequest): Promise<UpstreamResponse>;
  /** a small GET outside the slot limits (token services during an auth retry) */
  fetchSmall?(instance: string, url: string, headers: Record<string, string>, max: number): Promise<{ status: number; headers: Record<string, string>; body: Buffer }>;
}
/** what an upstream failure tells the client */
export interface FailureLike { status: number; message: string; retryAfter?: number; passThrough?: boolean }
const asFailure = (e: unknown): FailureLike => {
  const f = e as Partial<FailureLike> & Error;
  return { status: typeof f.status === 'number' ? f.status : 502, message: f.message || 'upstream failed', retryAfter: f.retryAfter, passThrough: f.passThrough };
};

// ---- entry index hooks (eviction, refcounts, touches) ----
export interface EntryIndexHooks {
  added(e: Entry): void;
  removed(inst: string, keyHash: string): void;
  touched(inst: string, keyHash: string): void;
  /** last use known to the index (newer than the record's persisted value) */
  lastUsed?(inst: string, keyHash: string): number | undefined;
}

export interface EngineCtx {
  config: EffectiveConfig;
  store: Store;
  upstream: UpstreamLike;
  negative: NegativeCache;
  index: EntryIndexHooks;
  log: Logger;
  isNoSpace(err: unknown): boolean;
  storeDegraded(): boolean;
  onNoSpace(err: unknown): void;
  event(e: Record<string, unknown>): void;
  /** test-only fault injection (CACHE_PROXY_FAULT_ENOSPC_AFTER) */
  faultEnospcAfter?: number;
  /** keys with a fill running, for eviction */
  busyKeys: Set<string>;
  /** run-time task registration for modes (set once the scheduler exists) */
  tasks?: (instance: string) => ModeTasks;
}

type FlightOutcome =
  | { type: 'fill'; fill: Fill; head: Head; release: () => void }
  | { type: 'entry'; entry: Entry; label?: string }
  | { type: 'response'; status: number; headers: Record<string, string>; body: Buffer }
  | { type: 'stale' }
  | { type: 'error'; failure: FailureLike };
interface Flight { revalidation: boolean; outcome: Promise<FlightOutcome> }
interface Head { headers: Record<string, string>; size?: number }

/** per-request facts derived from the route */
interface Work {
  inst: Instance;
  res: ServerResponse;
  req: IncomingMessage;
  method: 'GET' | 'HEAD';
  kind: string;
  resolved: Resolved;
  key: string;
  keyHash: string;
  flightKey: string;
  candidates: string[];
  upstreamHeaders: Record<string, string>;
  match: Match;
  subject?: string;
  authScope?: string;
  requestId: string;
  publicBase: string;
  started: number;
  cache?: string;
  bytes: number;
  firstByteAt?: number;
}

const flights = new Map<string, Flight>();
const entryCache = new Map<string, Entry>();
const ENTRY_CACHE_MAX = 100_000;
const rewriteMemo = new Map<string, { body: Buffer; headers: Record<string, string> }>();
// small blobs are served from memory: a 4 KiB hit then costs no file system call
const SMALL_BLOB = 64 * 1024;
const SMALL_CACHE_BYTES = 64 * 1024 * 1024;
const smallBlobs = new Map<string, Buffer>();
let smallBytes = 0;
async function smallBlob(ctx: EngineCtx, digest: string): Promise<Buffer | undefined> {
  const hit = smallBlobs.get(digest);
  if (hit) { smallBlobs.delete(digest); smallBlobs.set(digest, hit); return hit; }
  try {
    const buf = await streamToBuffer(await ctx.store.blobs.open(digest));
    smallBlobs.set(digest, buf);
    smallBytes += buf.length;
    while (smallBytes > SMALL_CACHE_BYTES) { const [k, v] = smallBlobs.entries().next().value!; smallBlobs.delete(k); smallBytes -= v.length; }
    return buf;
  } catch { return undefined; }
}
export function forgetBlob(digest: string): void {
  const b = smallBlobs.get(digest);
  if (b) { smallBlobs.delete(digest); smallBytes -= b.length; }
}

// one-shot hashing where the runtime has it (Node ≥ 20.12): much cheaper than a Hash object per call
const oneShot = (crypto as { hash?: (algo: string, data: string, enc: 'hex') => string }).hash;
const sha256 = oneShot ? (s: string) => oneShot('sha256', s, 'hex') : (s: string) => createHash('sha256').update(s).digest('hex');
const iso = (ms: number) => new Date(ms).toISOString();

export function requestIdOf(req: IncomingMessage): string {
  const v = req.headers['x-request-id'];
  return typeof v === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(v) ? v : randomUUID();
}

function headerView(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) if (k !== 'authorization' && k !== 'cookie') out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export interface Target { segments: string[]; rawSegments: string[]; trailingSlash: boolean; query: string }

/** per-instance persisted mode state: pins and learned targets */
interface InstanceState { pins: StatePins; targets: LearnedTargets }
const instanceStates = new WeakMap<Instance, InstanceState>();
function stateOf(ctx: EngineCtx, inst: Instance): InstanceState {
  let s = instanceStates.get(inst);
  if (!s) {
    s = { pins: new StatePins(ctx.store.state, inst.name), targets: new LearnedTargets(ctx.store.state, inst.name, inst.allowedOrigins, ctx.log) };
    instanceStates.set(inst, s);
  }
  return s;
}
function targetAllowed(ctx: EngineCtx, inst: Instance, u: URL): boolean {
  return inst.allowedOrigins.has(u.origin) || inst.allowedOrigins.has(u.host) || stateOf(ctx, inst).targets.has(u.origin);
}
const DEFAULT_MAX_REWRITE = 64 * 1024 * 1024;
function maxBodyOf(inst: Instance, kind: Instance['def']['kinds'][string]): number | undefined {
  const v = kind.maxRewriteBody;
  if (typeof v === 'function') return v(inst.block);
  if (typeof v === 'string') return parseSize(v);
  return kind.rewrite ? DEFAULT_MAX_REWRITE : undefined;
}

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
    let out: RespondOutput;
    try {
      out = await spec.respond(match, Buffer.alloc(0), hookContext(ctx, inst));
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
  const queryMode = spec.query ?? (inst.block.keep_query === true ? 'forward+key' : 'drop');
  const upstreamHeaders: Record<string, string> = { ...(spec.headers?.(match) ?? {}) };
  let key = `${kindName}/${routeKey}`;
  if (queryMode === 'forward+key' && t.query) key += `?${t.query}`;
  for (const [h, classOf] of Object.entries(kind.vary ?? {})) {
    const cls = classOf(headers[h]);
    if (cls) upstreamHeaders[h] = cls; // an empty class sends no header
    key += `;${h}=${cls}`;
  }
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
  const resolved = inst.resolve(kindName, subject);
  const keyHash = sha256(`${inst.name}\n${key}`);
  const w: Work = {
    inst, res, req, method: req.method as 'GET' | 'HEAD', kind: kindName, resolved, key, keyHash, flightKey: `${inst.name}/${keyHash}`,
    candidates, upstreamHeaders, match, subject, authScope: spec.authScope?.(match), requestId, publicBase, started: performance.now(), bytes: 0,
  };
  res.once('close', () => record(ctx, w));
  try {
    await decide(ctx, w);
  } catch (e) {
    ctx.log.error('request failed', { req_id: requestId, instance: inst.name, key: key.slice(0, 256), err: (e as Error).message });
    if (!res.headersSent) err(500, 'internal error'); else res.destroy();
  }
}

function record(ctx: EngineCtx, w: Work): void {
  const cache = w.cache ?? 'ERROR';
  recordRequest({ instance: w.inst.name, mode: w.inst.def.name, kind: w.kind, cache, method: w.method, status: w.res.statusCode }, w.started, w.firstByteAt, w.bytes);
  if (ctx.config.log.access) ctx.log.info('access', { req_id: w.requestId, instance: w.inst.name, kind: w.kind, key: w.key.slice(0, 256), status: w.res.statusCode, cache, bytes: w.bytes, duration_ms: Math.round(performance.now() - w.started) });
}

// ---------------------------------------------------------------- decision
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
  let entry = await lookup(ctx, w);
  if (entry && !offline && await contradictsVerify(ctx, w, entry)) entry = null; // refetched, verified, replaced
  if (offline) {
    if (entry) return serveEntry(ctx, w, entry, isFresh(w, entry) ? 'HIT' : 'STALE');
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

function isFresh(w: Work, e: Entry): boolean {
  const f = w.resolved.freshMs;
  if (f === undefined) return false;
  return f === Infinity || Date.now() - timesOf(e).validated < f;
}

function expiresAt(w: Work, base: number): string | null {
  return w.resolved.expireMs === Infinity ? null : iso(base + w.resolved.expireMs);
}

async function lookup(ctx: EngineCtx, w: Work): Promise<Entry | null> {
  let e: Entry | null | undefined = entryCache.get(w.flightKey);
  if (!e) {
    // first sight of this record since start: its blob must exist with the right size
    e = await ctx.store.entries.get(w.inst.name, w.keyHash);
    if (!e) return null;
    const st = await ctx.store.blobs.stat(e.blob.slice(7));
    if (!st || st.size !== e.size) {
      await deleteEntry(ctx, w.inst.name, w.keyHash);
      return null;
    }
    cacheEntry(e);
  }
  if (e.expires_at && timesOf(e).expires <= Date.now()) return null;
  return e;
}

function cacheEntry(e: Entry): void {
  const k = `${e.inst}/${e.keyHash}`;
  entryCache.delete(k);
  entryCache.set(k, e);
  if (entryCache.size > ENTRY_CACHE_MAX) entryCache.delete(entryCache.keys().next().value!);
}

export function forgetEntry(inst: string, keyHash: string): void {
  entryCache.delete(`${inst}/${keyHash}`);
}

async function deleteEntry(ctx: EngineCtx, inst: string, keyHash: string): Promise<void> {
  forgetEntry(inst, keyHash);
  await ctx.store.entries.delete(inst, keyHash).catch(() => undefined);
  ctx.index.removed(inst, keyHash);
}

// ---------------------------------------------------------------- upstream flights
function credentialsOf(inst: Instance): UpstreamRequest['credentials'] {
  const auth = inst.def.upstreamAuth?.(inst.block);
  if (!auth || !inst.upstreams[0]) return undefined;
  const header = auth.type === 'basic' ? `Basic ${Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64')}` : `Bearer ${auth.token ?? ''}`;
  return { origin: new URL(inst.upstreams[0]).origin, header };
}

function upstreamRequest(ctx: EngineCtx, w: Work, method: 'GET' | 'HEAD', extra: Record<string, string> = {}, foreground = true): Promise<UpstreamResponse> {
  const def = w.inst.def;
  const challenged = def.hooks?.upstreamAuth || def.credentialsFor ? authFor(ctx, w.inst) : undefined;
  const credentials = challenged ? undefined : credentialsOf(w.inst);
  return ctx.upstream.request({
    instance: w.inst.name, candidates: w.candidates, method, headers: { ...w.upstreamHeaders, ...extra }, foreground,
    failoverOn404: w.inst.def.kinds[w.kind]!.failoverOn404, credentials,
    allowed: (u) => targetAllowed(ctx, w.inst, u) || (w.inst.def.kinds[w.kind]!.redirects === 'public' && isPublicHttps(u)),
    auth: challenged && {
      header: (origin) => challenged.preemptive(origin, w.authScope),
      retry: (origin, www, sent) => challenged.retry(origin, www, w.authScope, sent),
    },
  });
}

const authStates = new WeakMap<Instance, UpstreamAuth>();
function authFor(ctx: EngineCtx, inst: Instance): UpstreamAuth {
  let a = authStates.get(inst);
  if (!a) {
    const def = inst.def;
    const creds = (origin: string): StaticCredentials | null => def.credentialsFor ? def.credentialsFor(inst.block, origin) : origin === (inst.upstreams[0] && new URL(inst.upstreams[0]).origin) ? def.upstreamAuth?.(inst.block) ?? null : null;
    a = new UpstreamAuth({
      hook: def.hooks?.upstreamAuth, credentials: creds, log: ctx.log,
      get: (url, headers) => {
        if (!ctx.upstream.fetchSmall) return Promise.reject(new Error('no upstream client for authentication'));
        return ctx.upstream.fetchSmall(inst.name, url, headers, 1024 * 1024);
      },
      // a realm named by a configured upstream's challenge: https anywhere, or the upstream's own host, or allow_hosts
      allowed: (u, origin) => u.protocol === 'https:' || (u.protocol === 'http:' && u.hostname === new URL(origin).hostname) || inst.allowedOrigins.has(u.origin) || inst.allowedOrigins.has(u.host),
    });
    authStates.set(inst, a);
  }
  return a;
}

/** ctx.fetch: an upstream request of a mode through the same limiter, failover, health and SSRF guard */
async function modeFetch(ctx: EngineCtx, inst: Instance, o: UpstreamFetch): Promise<UpstreamReply> {
  const bases = o.bases?.length ? o.bases : inst.upstreams;
  const rel = o.path.replace(/^\/+/, '');
  const r = await ctx.upstream.request({
    instance: inst.name, candidates: bases.map((b) => `${b}/${rel}`), method: o.method ?? 'GET', headers: o.headers, foreground: o.foreground ?? false,
    signal: o.signal, failoverOn404: o.failoverOn404, allowed: (u) => targetAllowed(ctx, inst, u), credentials: credentialsOf(inst),
  });
  const base = bases.find((b) => new URL(b).origin === r.origin) ?? bases[0]!;
  // a mode that stops reading (verification failed) releases the body: the abort must not become an unhandled error
  r.body.on('error', () => undefined);
  return { status: r.status, headers: r.headers, body: r.body, base, url: r.url, release: r.release };
}

async function readSmall(body: Readable, max = 64 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of body as AsyncIterable<Buffer>) {
      if (n < max) parts.push(c.subarray(0, max - n));
      n += c.length;
    }
  } catch { /* a short error body is fine */ }
  return Buffer.concat(parts);
}

function startFlight(ctx: EngineCtx, w: Work, stale: Entry | undefined): Flight {
  return trackFlight(ctx, w.flightKey, { revalidation: !!stale, outcome: runFlight(ctx, w, stale) });
}

/** a key is busy while its flight runs (and, for a fill, until the fill ends) */
function trackFlight(ctx: EngineCtx, flightKey: string, flight: Flight): Flight {
  flights.set(flightKey, flight);
  ctx.busyKeys.add(flightKey);
  const clear = () => { if (flights.get(flightKey) === flight) flights.delete(flightKey); ctx.busyKeys.delete(flightKey); };
  flight.outcome.then((o) => {
    if (o.type === 'fill') o.fill.done.finally(clear); else clear();
  }, clear);
  return flight;
}

async function runFlight(ctx: EngineCtx, w: Work, stale: Entry | undefined): Promise<FlightOutcome> {
  if (stale && w.inst.def.kinds[w.kind]!.revalidateWith === 'head') {
    const byHead = await revalidateWithHead(ctx, w, stale);
    if (byHead) return byHead;
  }
  const cond: Record<string, string> = {};
  if (stale?.etag) cond['if-none-match'] = stale.etag;
  if (stale?.last_modified) cond['if-modified-since'] = stale.last_modified;
  let resp: UpstreamResponse;
  try {
    resp = await upstreamRequest(ctx, w, 'GET', cond);
  } catch (e) {
    const failure = asFailure(e);
    if (stale && !failure.passThrough) return { type: 'stale' };
    return { type: 'error', failure };
  }
  const st = resp.status;
  if (st === 304 && stale) {
    resp.release();
    return { type: 'entry', entry: await revalidated(ctx, w, stale, resp.headers) };
  }
  if (st === 200) return fillOutcome(ctx, w, resp);
  return settleNonOk(ctx, w, stale, resp);
}

/** a 200 becomes a fill, unless the kind's admitHead hook refuses it (502, nothing stored) */
function fillOutcome(ctx: EngineCtx, w: Work, resp: UpstreamResponse, o: FillExtras = {}): FlightOutcome {
  const head = headOf(w, resp);
  const verdict = w.inst.def.kinds[w.kind]!.admitHead?.(head, w.match) ?? 'store';
  if (typeof verdict === 'object') {
    resp.release();
    ctx.log.warn('upstream response refused; nothing was cached', { instance: w.inst.name, kind: w.kind, key: w.key.slice(0, 256), err: verdict.reject });
    return { type: 'error', failure: { status: 502, message: verdict.reject } };
  }
  const fill = startFill(ctx, w, resp, { ...o, pass: verdict === 'pass' });
  return { type: 'fill', fill, head, release: fill.hold() };
}

/** an upstream answer other than 200/304: negative record for 404/410, stale copy on 5xx, else passed through */
async function settleNonOk(ctx: EngineCtx, w: Work, stale: Entry | undefined, resp: UpstreamResponse): Promise<FlightOutcome> {
  const st = resp.status;
  const body = await readSmall(resp.body);
  resp.release();
  const kind = w.inst.def.kinds[w.kind]!;
  if ((st === 404 || st === 410) && kind.negative !== false) {
    if (stale) await deleteEntry(ctx, w.inst.name, w.keyHash);
    const ttl = w.inst.cfg.negative_ttl ?? ctx.config.storage.negative_ttl;
    if (ttl > 0) ctx.negative.set(w.flightKey, { status: st, contentType: resp.headers['content-type'], body: body.subarray(0, 4096), expiresAt: Date.now() + ttl });
  }
  if (st >= 500 && stale) return { type: 'stale' };
  return { type: 'response', status: st, headers: resp.headers, body };
}

function headOf(w: Work, resp: UpstreamResponse): Head {
  const cl = resp.headers['content-length'];
  const size = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : undefined;
  const headers = storedHeaders(resp.headers, w.inst.def.kinds[w.kind]!.storeHeaders);
  if (!headers['content-type']) headers['content-type'] = guessType(w.match.path);
  return { headers, size };
}

const contexts = new WeakMap<Instance, HookContext>();
const neverAborted = new AbortController().signal;

/** the narrow context every hook and task of an instance gets (never engine internals) */
export function hookContext(ctx: EngineCtx, inst: Instance, signal?: AbortSignal): HookContext {
  const memo = contexts.get(inst);
  if (memo && !signal) return memo;
  const made: HookContext = {
    config: inst.block, instance: inst.name, log: ctx.log, signal: signal ?? neverAborted,
    fetchThrough: (p, o) => fetchThrough(ctx, inst, p, o?.headers),
    pins: stateOf(ctx, inst).pins,
    targetAllowed: (url) => { try { return targetAllowed(ctx, inst, new URL(url)); } catch { return false; } },
    count: (name, help) => modeCounter(name, help).inc({ instance: inst.name }),
    privateDir: ctx.store.privateDir(inst.name),
    state: { read: (n) => ctx.store.state.read(`${inst.name}/${n}`), write: (n, d) => ctx.store.state.write(`${inst.name}/${n}`, d) },
    fetch: (o) => modeFetch(ctx, inst, o),
    tasks: ctx.tasks?.(inst.name),
    metrics: {
      counter: (n, help, labels) => { const c = modeCounter(n, help, labels); return { inc: (l, v = 1) => c.inc(l, v) }; },
      histogram: (n, help, labels) => { const hg = modeHistogram(n, help, labels); return { observe: (l, v) => hg.observe(l, v) }; },
    },
    events: { emit: (e) => ctx.event({ instance: inst.name, ...e }) },
    cache: {
      list: () => listEntries(ctx, inst.name),
      delete: (kind, key) => deleteEntry(ctx, inst.name, sha256(`${inst.name}\n${kind}/${key}`)),
    },
    cleanup: { dryRun: ctx.config.storage.cleanup.dry_run, batchSize: ctx.config.storage.cleanup.batch_size > 0 ? ctx.config.storage.cleanup.batch_size : 500 },
  };
  if (!signal && ctx.tasks) contexts.set(inst, made);
  return made;
}

async function* listEntries(ctx: EngineCtx, inst: string): AsyncIterable<{ kind: string; key: string; size: number; lastUsedAt: number; digests: Record<string, string> }> {
  for await (const e of ctx.store.entries.list(inst)) {
    const lastUsedAt = Math.max(Date.parse(e.last_used_at) || 0, ctx.index.lastUsed?.(inst, e.keyHash) ?? 0);
    yield { kind: e.kind, key: e.key.startsWith(`${e.kind}/`) ? e.key.slice(e.kind.length + 1) : e.key, size: e.size, lastUsedAt, digests: e.digests };
  }
}

/** a respond hook's answer; `file` bodies get Range, client conditionals and HEAD like stored entries */
function serveRespond(inst: Instance, req: IncomingMessage, res: ServerResponse, out: RespondOutput, kind: string, requestId: string): void {
  const h: Record<string, string> = { ...(out.headers ?? {}), 'x-request-id': requestId };
  const cache = h['x-cache'] ?? 'RESPOND';
  const method = req.method === 'HEAD' ? 'HEAD' : 'GET';
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

/** fetch another key of the same instance through the pipeline, buffered (checksum sources) */
async function fetchThrough(ctx: EngineCtx, inst: Instance, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer } | null> {
  const { PassThrough } = await import('node:stream');
  const chunks: Buffer[] = [];
  const fake = new PassThrough();
  let status = 0;
  const res = Object.assign(fake, {
    headersSent: false, statusCode: 200,
    writeHead(s: number) { status = s; this.statusCode = s; this.headersSent = true; return this; },
    setHeader() { return this; },
  }) as unknown as ServerResponse;
  fake.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((r) => { fake.on('finish', r); fake.on('close', r); fake.on('error', () => r()); });
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const req = { method: 'GET', headers: lower, url: '/' + path } as unknown as IncomingMessage;
  const segs = path.split('/').filter(Boolean);
  await handleInstance(ctx, inst, req, res, { segments: segs, rawSegments: segs.map(encodeURIComponent), trailingSlash: false, query: '' }, '', randomUUID());
  await ended;
  return status ? { status, body: Buffer.concat(chunks) } : null;
}

/** the kind's index hook on a complete body: pins and learned targets persisted, or the body rejected */
async function runIndex(ctx: EngineCtx, w: Work, body: Readable, headers: Record<string, string>): Promise<void> {
  const kind = w.inst.def.kinds[w.kind]!;
  let out;
  try {
    out = await kind.index!({ body, headers, match: w.match, ctx: hookContext(ctx, w.inst) });
  } catch (e) {
    throw new RejectedBody((e as Error).message);
  } finally {
    body.destroy();
  }
  if (!out) return;
  const st = stateOf(ctx, w.inst);
  await Promise.all([...(out.pins ?? []).map((p) => st.pins.merge(p.group, p.entries)), out.targets?.length ? st.targets.learn(out.targets) : undefined]);
}

/** what a fill may do besides storing its own key: other keys bound to the same bytes, a known expectation, no storing */
interface FillExtras { also?: { w: Work; meta?: Record<string, unknown> }[]; expected?: VerifyResult; pass?: boolean }

function startFill(ctx: EngineCtx, w: Work, resp: UpstreamResponse, extras: FillExtras = {}): Fill {
  const head = headOf(w, resp);
  const kind = w.inst.def.kinds[w.kind]!;
  const maxObj = ctx.config.storage.max_object_size;
  const store = !extras.pass && !ctx.storeDegraded() && (head.size === undefined || head.size <= maxObj);
  const verify = kind.verify;
  const expected = extras.pass ? undefined : extras.expected ? Promise.resolve(extras.expected)
    : verify ? verify({ match: w.match, ctx: hookContext(ctx, w.inst), rule: w.resolved.rule, headers: resp.headers }) : undefined;
  m.fillsInFlight.inc({ instance: w.inst.name });
  const maxBytes = maxBodyOf(w.inst, kind);
  const fill = new Fill({
    body: resp.body, contentLength: head.size, tempPath: ctx.store.tempPath('.part'), expected, store, maxBytes,
    detachedBudget: ctx.config.storage.download.detached_fill_budget,
    isNoSpace: ctx.isNoSpace, onNoSpace: ctx.onNoSpace, failWritesAfter: ctx.faultEnospcAfter,
    check: kind.checkBody && (async (temp, size) => {
      if (size > (maxBytes ?? DEFAULT_MAX_REWRITE)) throw new VerifyError(`body of ${size} bytes too large to check`, 'checkable', 'too large');
      const reason = kind.checkBody!(await readFile(temp), head.headers);
      if (reason) throw new VerifyError(reason, 'valid', 'invalid');
    }),
    commit: async (temp, digests, size) => {
      const digest = digests.sha256!;
      if (kind.index) await runIndex(ctx, w, createReadStream(temp), head.headers);
      const r = await ctx.store.blobs.commit(temp, digest);
      const now = Date.now();
      const also = [...(extras.also ?? [])];
      let meta: Record<string, unknown> | undefined;
      const target = kind.bindTo?.(w.match, resp.headers, digests);
      if (target) { const tw = targetWork(w, target); meta = { bound: tw.key }; also.push({ w: tw }); }
      const base = {
        blob: `sha256:${digest}`, size, status: 200, headers: head.headers, etag: head.headers.etag, last_modified: head.headers['last-modified'], digests, upstream: resp.origin,
        fetched_at: iso(now), validated_at: iso(now), last_used_at: iso(now),
      };
      for (const x of [{ w, meta }, ...also]) {
        const entry: Entry = { ...base, inst: x.w.inst.name, keyHash: x.w.keyHash, key: x.w.key, kind: x.w.kind, policy: x.w.resolved.policy, expires_at: expiresAt(x.w, now), ...(x.meta ? { meta: x.meta } : {}) };
        await ctx.store.entries.put(entry);
        cacheEntry(entry);
        ctx.negative.delete(x.w.flightKey);
        ctx.index.added(entry);
      }
      return { result: r === 'existed' ? 'deduplicated' : 'stored', path: ctx.store.blobs.localPath!(digest) };
    },
  });
  void fill.done.then((result: FillResult) => {
    m.fillsInFlight.dec({ instance: w.inst.name });
    m.fills.inc({ instance: w.inst.name, kind: w.kind, result });
    resp.release();
    if (result === 'unverified') m.verifySkipped.inc({ instance: w.inst.name, kind: w.kind });
    if (result === 'verify_failed') {
      m.verifyFailures.inc({ instance: w.inst.name, kind: w.kind });
      ctx.event({ instance: w.inst.name, result: 'verify_failed', reason_code: 'verify_failed', message: `${w.match.path}: ${fill.error?.message ?? ''}` });
      ctx.log.warn('verification failed; nothing was cached', { instance: w.inst.name, kind: w.kind, key: w.key.slice(0, 256), err: fill.error?.message });
    } else if (result !== 'stored' && result !== 'deduplicated' && result !== 'too_large' && result !== 'unverified') {
      ctx.log.warn('fill did not complete', { instance: w.inst.name, kind: w.kind, key: w.key.slice(0, 256), result, err: fill.error?.message });
    }
  });
  return fill;
}

async function headMiss(ctx: EngineCtx, w: Work): Promise<boolean> {
  let resp: UpstreamResponse;
  try {
    resp = await upstreamRequest(ctx, w, 'HEAD');
  } catch (e) {
    fail(ctx, w, asFailure(e));
    return true;
  }
  resp.release();
  resp.body.resume();
  if (resp.status === 405 || resp.status === 501) return false; // fill normally and answer from its head
  const kind = w.inst.def.kinds[w.kind]!;
  if ((resp.status === 404 || resp.status === 410) && kind.negative !== false) {
    const ttl = w.inst.cfg.negative_ttl ?? ctx.config.storage.negative_ttl;
    if (ttl > 0) ctx.negative.set(w.flightKey, { status: resp.status, contentType: resp.headers['content-type'], body: Buffer.alloc(0), expiresAt: Date.now() + ttl });
  }
  if (resp.status === 200 && kind.bindTo) await bindIfCached(ctx, w, resp.headers);
  w.cache = 'MISS';
  const headers: Record<string, string> = resp.status === 200 ? headOf(w, resp).headers : {};
  if (resp.headers['content-length']) headers['content-length'] = resp.headers['content-length'];
  w.res.writeHead(resp.status, { ...headers, 'x-cache': 'MISS', 'x-request-id': w.requestId });
  w.res.end();
  return true;
}

// ---------------------------------------------------------------- serving
function fail(ctx: EngineCtx, w: Work, f: FailureLike): void {
  w.cache = 'ERROR';
  sendError(w.res, f.status, f.message, { requestId: w.requestId, retryAfter: f.retryAfter, format: w.inst.def.hooks?.errorBody, head: w.method === 'HEAD' });
}

async function serveOutcome(ctx: EngineCtx, w: Work, o: FlightOutcome, label: string, stale?: Entry): Promise<void> {
  switch (o.type) {
    case 'entry':
      return serveEntry(ctx, w, o.entry, o.label ?? 'HIT');
    case 'stale':
      if (stale) return serveEntry(ctx, w, stale, 'STALE');
      return fail(ctx, w, { status: 502, message: 'upstream failed' });
    case 'error':
      if (stale && !o.failure.passThrough && Date.parse(stale.expires_at ?? '9999') > Date.now()) return serveEntry(ctx, w, stale, 'STALE');
      return fail(ctx, w, o.failure);
    case 'response': {
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

function sinkFor(w: Work): ReadSink {
  const res = w.res;
  const drained = (ok: boolean): Promise<void> => {
    if (ok) return Promise.resolve();
    return new Promise((r) => {
      const done = () => { res.off('drain', done); res.off('close', done); r(); };
      res.on('drain', done); res.on('close', done);
    });
  };
  return {
    closed: () => res.destroyed || res.writableEnded,
    write: (buf) => {
      if (w.firstByteAt === undefined) w.firstByteAt = performance.now();
      w.bytes += buf.length;
      return drained(res.write(buf));
    },
    writev: (bufs) => {
      if (w.firstByteAt === undefined) w.firstByteAt = performance.now();
      let ok = true;
      res.cork();
      for (const b of bufs) { w.bytes += b.length; ok = res.write(b) && ok; }
      res.uncork();
      return drained(ok);
    },
  };
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
  // a body whose digest turned out unknown is served but not stored
  if (fill.expectation && (await fill.expectation.catch(() => null))?.skip) cache = 'BYPASS';
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
    writev: (bs) => { if (!w.res.headersSent) w.res.writeHead(status, h); return sink.writev!(bs); },
  };
  const ok = await readFromFill(fill, lazy, start, end);
  if (ok && !w.res.destroyed) {
    if (!w.res.headersSent) w.res.writeHead(status, h);
    w.res.end();
  } else if (!w.res.headersSent && fill.state === 'failed') {
    fail(ctx, w, { status: fill.status ?? 502, message: fill.describe(w.match.path) });
  } else w.res.destroy();
}

/** an entry's timestamps parsed once: entries are replaced, never mutated, so a WeakMap memo is safe */
interface EntryTimes { validated: number; lastUsed: number; expires: number; fetchedHttp: string; expiresHttp?: string }
const entryTimes = new WeakMap<Entry, EntryTimes>();
function timesOf(e: Entry): EntryTimes {
  let t = entryTimes.get(e);
  if (!t) {
    t = {
      validated: Date.parse(e.validated_at), lastUsed: Date.parse(e.last_used_at), expires: e.expires_at ? Date.parse(e.expires_at) : Infinity, fetchedHttp: new Date(e.fetched_at).toUTCString(),
      expiresHttp: e.expires_at ? new Date(e.expires_at).toUTCString() : undefined,
    };
    entryTimes.set(e, t);
  }
  return t;
}

async function serveEntry(ctx: EngineCtx, w: Work, e: Entry, cache: string): Promise<void> {
  const now = Date.now();
  ctx.index.touched(w.inst.name, w.keyHash);
  if (w.resolved.policy === 'immutable' && w.resolved.expireMs !== Infinity) {
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
      const raw = await streamToBuffer(await ctx.store.blobs.open(e.blob.slice(7)));
      const r = await kind.rewrite({ body: raw, headers: { ...e.headers }, publicBase: w.publicBase, match: w.match, ctx: hookContext(ctx, w.inst) });
      const etag = `W/"${sha256(`${e.blob}\n1\n${w.publicBase}`).slice(0, 32)}"`;
      out = { body: r.body, headers: { ...e.headers, ...(r.headers ?? {}), etag } };
      rewriteMemo.set(memoKey, out);
      if (rewriteMemo.size > 1000) rewriteMemo.delete(rewriteMemo.keys().next().value!);
    }
    headers = { ...out.headers };
    body = out.body;
  }
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
  if (status === 200 && body) rememberIfRepeatable(ctx, w, e, cache, h, body);
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

/** a plain HIT/FRESH answer held in memory may answer the same request again (engine/hot-hits.ts) */
function rememberIfRepeatable(ctx: EngineCtx, w: Work, e: Entry, cache: string, h: Record<string, string>, body: Buffer): void {
  const immutable = w.resolved.policy === 'immutable';
  if (!(immutable ? cache === 'HIT' : w.resolved.policy === 'revalidate' && cache === 'FRESH')) return;
  if ((w.inst.cfg.offline ?? ctx.config.storage.offline) || !isPlainRequest(w.req) || classifiesByHeaders(w.inst)) return;
  // kinds that consult the mode on every request (admission, re-verification) are never answered from memory
  const kind = w.inst.def.kinds[w.kind]!;
  if (kind.admit || kind.reverify) return;
  const t = timesOf(e);
  let validUntilMs = t.expires;
  if (immutable && w.resolved.expireMs !== Infinity) validUntilMs = Math.min(validUntilMs, t.lastUsed + 3600_000);
  if (!immutable) validUntilMs = Math.min(validUntilMs, w.resolved.freshMs === Infinity ? Infinity : t.validated + (w.resolved.freshMs ?? 0));
  // headers already set on the response (a mode's responseHeaders) are part of the answer too
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(w.res.getHeaders())) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  Object.assign(headers, h);
  delete headers['x-request-id'];
  delete headers.age;
  const { inst, keyHash, flightKey } = w;
  rememberHit(hotKey(inst.name, w.publicBase, w.req.url ?? ''), {
    instance: inst.name, mode: inst.def.name, kind: w.kind, cache: immutable ? 'HIT' : 'FRESH', headers, body, validatedMs: t.validated, validUntilMs,
    deps: requestDeps(w).map((name): [string, string] => [name, headerValue(w.req, name)]),
    isCurrent: () => entryCache.get(flightKey) === e,
    touch: () => ctx.index.touched(inst.name, keyHash),
  });
}

const headerValue = (req: IncomingMessage, name: string): string => { const v = req.headers[name]; return Array.isArray(v) ? v.join(', ') : v ?? ''; };

/** request headers a stored answer depends on: the kind's vary headers and keyed pass headers */
function requestDeps(w: Work): string[] {
  const names = Object.keys(w.inst.def.kinds[w.kind]!.vary ?? {});
  const pass = w.inst.def.passHeaders?.(w.inst.block);
  if (pass?.keyed) names.push(...pass.names.map((n) => n.toLowerCase()));
  return names;
}

const headerClassified = new WeakMap<Instance, boolean>();
/** routes with a `when` predicate may classify by any request header: their answers are never remembered */
function classifiesByHeaders(inst: Instance): boolean {
  let v = headerClassified.get(inst);
  if (v === undefined) { v = inst.routes.some((r) => r.spec.when !== undefined); headerClassified.set(inst, v); }
  return v;
}

async function pipeTo(src: Readable | Buffer, sink: ReadSink): Promise<void> {
  if (Buffer.isBuffer(src)) return sink.write(src);
  for await (const c of src as AsyncIterable<Buffer>) await sink.write(c);
}

async function streamToBuffer(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

async function bypass(ctx: EngineCtx, w: Work, cache: string): Promise<void> {
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

// ---------------------------------------------------------------- HEAD revalidation and bindings
// A kind with `revalidateWith: 'head'` is revalidated by a HEAD; a kind with `bindTo` is a mutable name whose
// upstream head names content another kind stores (OCI tag → manifest by digest). Its entry points at that
// content's bytes and records the key in `meta.bound`, so a HEAD naming the same key changes nothing, one naming
// a cached key rebinds without a GET, and an uncached one is fetched by that key, verified and bound.

/** the Work of another key of this instance, derived from a binding target */
function targetWork(w: Work, t: BindTarget): Work {
  const key = `${t.kind}/${t.key}`;
  const keyHash = sha256(`${w.inst.name}\n${key}`);
  const list = Array.isArray(t.upstream) ? t.upstream : [t.upstream];
  const candidates = list.flatMap((p) => (/^https?:\/\//.test(p) ? [p] : w.inst.upstreams.map((u) => `${u}/${p.replace(/^\/+/, '')}`)));
  return { ...w, kind: t.kind, key, keyHash, flightKey: `${w.inst.name}/${keyHash}`, candidates, resolved: w.inst.resolve(t.kind, w.subject) };
}

async function revalidated(ctx: EngineCtx, w: Work, stale: Entry, from: Record<string, string> = {}): Promise<Entry> {
  const now = Date.now();
  const headers = { ...stale.headers };
  for (const h of ['etag', 'last-modified', 'cache-control', 'expires']) if (from[h]) headers[h] = from[h]!;
  const updated: Entry = {
    ...stale, headers, etag: from.etag ?? stale.etag, last_modified: from['last-modified'] ?? stale.last_modified,
    validated_at: iso(now), expires_at: w.resolved.policy === 'revalidate' ? expiresAt(w, now) : stale.expires_at,
  };
  await ctx.store.entries.put(updated);
  cacheEntry(updated);
  return updated;
}

/** write w's entry as a binding to the target's stored content */
async function bindEntry(ctx: EngineCtx, w: Work, target: Entry, targetKey: string): Promise<Entry> {
  const now = Date.now();
  const entry: Entry = {
    ...target, inst: w.inst.name, keyHash: w.keyHash, key: w.key, kind: w.kind, policy: w.resolved.policy, meta: { bound: targetKey },
    fetched_at: iso(now), validated_at: iso(now), last_used_at: iso(now), expires_at: expiresAt(w, now),
  };
  await ctx.store.entries.put(entry);
  cacheEntry(entry);
  ctx.negative.delete(w.flightKey);
  ctx.index.added(entry);
  return entry;
}

async function bindIfCached(ctx: EngineCtx, w: Work, headers: Record<string, string>): Promise<Entry | null> {
  const t = w.inst.def.kinds[w.kind]!.bindTo?.(w.match, headers);
  if (!t) return null;
  const tw = targetWork(w, t);
  const target = await lookup(ctx, tw);
  return target ? bindEntry(ctx, w, target, tw.key) : null;
}

/** null: fall back to a conditional GET (405/501 to HEAD, no identity in the head, changed validators) */
async function revalidateWithHead(ctx: EngineCtx, w: Work, stale: Entry): Promise<FlightOutcome | null> {
  const staleUnlessRefused = (e: unknown): FlightOutcome => { const failure = asFailure(e); return failure.passThrough ? { type: 'error', failure } : { type: 'stale' }; };
  let resp: UpstreamResponse;
  try {
    resp = await upstreamRequest(ctx, w, 'HEAD');
  } catch (e) {
    return staleUnlessRefused(e);
  }
  resp.release();
  resp.body.resume();
  if (resp.status === 405 || resp.status === 501) return null;
  if (resp.status !== 200) return settleNonOk(ctx, w, stale, resp);
  const kind = w.inst.def.kinds[w.kind]!;
  if (!kind.bindTo) {
    const h = resp.headers;
    const same = stale.etag ? h.etag === stale.etag && !stale.etag.startsWith('W/') : !!stale.last_modified && h['last-modified'] === stale.last_modified;
    return same ? { type: 'entry', entry: await revalidated(ctx, w, stale) } : null;
  }
  const t = kind.bindTo(w.match, resp.headers);
  if (!t) return null;
  const tw = targetWork(w, t);
  if (stale.meta?.bound === tw.key) return { type: 'entry', entry: await revalidated(ctx, w, stale) };
  const cached = await lookup(ctx, tw);
  if (cached) return { type: 'entry', entry: await bindEntry(ctx, w, cached, tw.key), label: 'REFRESH' };
  const running = flights.get(tw.flightKey);
  if (running) {
    const o = await running.outcome;
    if (o.type === 'fill') await o.fill.done;
    const filled = await lookup(ctx, tw);
    return filled ? { type: 'entry', entry: await bindEntry(ctx, w, filled, tw.key), label: 'REFRESH' } : { type: 'stale' };
  }
  let got: UpstreamResponse;
  try {
    got = await upstreamRequest(ctx, tw, 'GET');
  } catch (e) {
    return staleUnlessRefused(e);
  }
  if (got.status !== 200) return settleNonOk(ctx, tw, undefined, got);
  const o = fillOutcome(ctx, tw, got, { also: [{ w, meta: { bound: tw.key } }], expected: t.verify });
  if (o.type === 'fill') trackFlight(ctx, tw.flightKey, { revalidation: false, outcome: Promise.resolve(o) }); // requests for the target key join
  return o;
}
