// A fixture upstream on 127.0.0.1: serves files or in-memory bodies with ETag/Last-Modified, conditionals
// and ranges; counts requests; injects faults (delay, throttle, reset, truncate, flip, status, stall, refuse).
import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join, normalize } from 'node:path';
import picomatch from 'picomatch';
import { track } from './cleanup.js';

export interface Content { status?: number; headers?: Record<string, string>; body?: Buffer | string; file?: string }
export interface Fault {
  delay_ms?: number; rate?: number; reset_after?: number; truncate_at?: number; flip_byte?: number;
  status?: number; retry_after?: number | string; stall?: boolean; refuse?: boolean; once?: boolean;
  methods?: string[]; location?: string;
  /** hold the answer until this promise settles: before the status line, or after `hold_at` body bytes */
  gate?: Promise<unknown>; hold_at?: number;
}
export interface SeenRequest { method: string; path: string; headers: Record<string, string>; at: number; /** the request body, for methods other than GET and HEAD */ body?: Buffer }
/**
 * A recorded upstream exchange. `${UPSTREAM}` in its headers and body stands for this server's own URL (recordings
 * replace the recorded origin with it). Several exchanges matching one request are answered in file order, the last
 * one repeating (a corrupt answer, then a good one). A HEAD exchange keeps its recorded Content-Length.
 */
export interface Exchange { method?: string; path: string; match_headers?: Record<string, string>; status: number; headers?: Record<string, string>; body?: string; body_file?: string; delay_ms?: number; rate?: number; fault?: string; fault_at?: number }

/** the placeholder for the replay server's origin in recorded exchanges */
export const UPSTREAM_PLACEHOLDER = '${UPSTREAM}';
const withOrigin = (b: Buffer, url: string) => (b.includes(UPSTREAM_PLACEHOLDER) ? Buffer.from(b.toString('latin1').split(UPSTREAM_PLACEHOLDER).join(url), 'latin1') : b);

export interface FixtureServer {
  url: string; port: number;
  requests: SeenRequest[];
  unmatched: SeenRequest[];
  inFlight: number; maxInFlight: number;
  set(path: string, c: Content): void;
  /** serve another directory from now on (an atomic swap of the whole tree) */
  setRoot(dir: string): void;
  fault(pathOrGlob: string, f: Fault): void;
  clearFaults(): void;
  count(method: string, path: string): number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** a promise the test settles when it chooses (a Fault's `gate`): events in a fixed order instead of a race with the clock */
export function openable(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}

export interface FixtureOptions {
  root?: string; exchanges?: Exchange[]; port?: number;
  /** content computed per request (e.g. by Accept class); consulted before set() and root */
  resolve?: (path: string, headers: Record<string, string>) => Content | undefined;
}

export async function startFixtureServer(o: FixtureOptions = {}): Promise<FixtureServer> {
  const mem = new Map<string, Content>();
  const answered = new Set<Exchange>();
  let faults: { test: (p: string) => boolean; f: Fault; used: boolean }[] = [];
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = o.port ?? 0;
  let root = o.root;

  const fx: FixtureServer = {
    url: '', port: 0, requests: [], unmatched: [], inFlight: 0, maxInFlight: 0,
    set: (p, c) => { mem.set(p, c); },
    setRoot: (dir) => { root = dir; },
    fault: (p, f) => { const isGlob = /[*?{[]/.test(p); const m = isGlob ? picomatch(p, { dot: true }) : (x: string) => x === p; faults.push({ test: m, f, used: false }); },
    clearFaults: () => { faults = []; },
    count: (method, path) => fx.requests.filter((r) => r.method === method && r.path === path).length,
    stop: async () => {
      if (!server) return;
      const s = server;
      server = undefined;
      await new Promise<void>((r) => { s.close(() => r()); for (const k of sockets) k.destroy(); });
    },
    start: async () => {
      if (server) return;
      server = createServer(handle);
      server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
      await new Promise<void>((r, j) => { server!.once('error', j); server!.listen(port, '127.0.0.1', () => r()); });
      const a = server.address();
      port = typeof a === 'object' && a ? a.port : port;
      fx.port = port;
      fx.url = `http://127.0.0.1:${port}`;
    },
    close: () => fx.stop(),
  };

  function content(path: string, headers: Record<string, string> = {}): { status: number; headers: Record<string, string>; body: Buffer } | null {
    const c = o.resolve?.(path, headers) ?? mem.get(path);
    if (c) {
      const body = c.file ? readFileSync(c.file) : Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body ?? '');
      return { status: c.status ?? 200, headers: { ...(c.headers ?? {}) }, body };
    }
    if (o.exchanges) return null;
    if (root) {
      const f = normalize(join(root, decodeURIComponent(path)));
      if (!f.startsWith(normalize(root))) return null;
      if (existsSync(f) && statSync(f).isFile()) {
        const st = statSync(f);
        return { status: 200, headers: { 'last-modified': st.mtime.toUTCString() }, body: readFileSync(f) };
      }
    }
    return null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    const seen: SeenRequest = { method, path, headers, at: Date.now() };
    fx.requests.push(seen);
    if (method !== 'GET' && method !== 'HEAD') {
      const parts: Buffer[] = [];
      for await (const c of req as AsyncIterable<Buffer>) parts.push(c);
      seen.body = Buffer.concat(parts);
    }
    fx.inFlight++;
    fx.maxInFlight = Math.max(fx.maxInFlight, fx.inFlight);
    res.on('close', () => { fx.inFlight--; });
    const fe = faults.find((x) => x.test(path) && !(x.f.once && x.used) && (!x.f.methods || x.f.methods.includes(method)));
    const f: Fault = fe?.f ?? {};
    if (fe) fe.used = true;
    if (f.refuse) { req.socket.destroy(); return; }
    if (f.delay_ms) await sleep(f.delay_ms);
    if (f.gate && f.hold_at === undefined) await f.gate;
    if (f.stall) return; // never answers
    if (f.status) {
      const h: Record<string, string> = { 'content-type': 'text/plain' };
      if (f.retry_after !== undefined) h['retry-after'] = String(f.retry_after);
      if (f.location) h.location = f.location;
      res.writeHead(f.status, h);
      res.end(method === 'HEAD' ? undefined : `fixture status ${f.status}\n`);
      return;
    }
    let c = content(path, headers);
    let headLength: string | undefined;
    if (!c && o.exchanges) {
      const url = req.url ?? '/';
      const same = o.exchanges.filter((e) => (e.method ?? 'GET') === method && e.path === url && Object.entries(e.match_headers ?? {}).every(([k, v]) => headers[k.toLowerCase()] === v));
      let ex: Exchange | undefined = same.find((e) => !answered.has(e)) ?? same[same.length - 1];
      if (ex) answered.add(ex);
      else if (method === 'HEAD') ex = o.exchanges.find((e) => (e.method ?? 'GET') === 'GET' && e.path === url);
      if (ex) {
        if (ex.delay_ms) await sleep(ex.delay_ms);
        const exHeaders: Record<string, string> = {};
        for (const [k, v] of Object.entries(ex.headers ?? {})) exHeaders[k.toLowerCase()] = v.split(UPSTREAM_PLACEHOLDER).join(fx.url);
        if ((ex.method ?? 'GET') === 'HEAD') headLength = exHeaders['content-length'];
        c = { status: ex.status, headers: exHeaders, body: withOrigin(ex.body_file ? readFileSync(ex.body_file) : Buffer.from(ex.body ?? ''), fx.url) };
        if (ex.rate) f.rate = ex.rate;
        if (ex.fault === 'reset_after') f.reset_after = ex.fault_at ?? 0;
        if (ex.fault === 'truncate_at') f.truncate_at = ex.fault_at ?? 0;
        if (ex.fault === 'flip_byte') f.flip_byte = ex.fault_at ?? 0;
        if (ex.fault === 'refuse') { req.socket.destroy(); return; }
      } else {
        fx.unmatched.push(seen);
      }
    }
    if (!c) { res.writeHead(404, { 'content-type': 'text/plain' }); res.end(method === 'HEAD' ? undefined : 'not found\n'); return; }
    let body = c.body;
    if (f.flip_byte !== undefined && f.flip_byte < body.length) { body = Buffer.from(body); body[f.flip_byte] = body[f.flip_byte]! ^ 0xff; }
    const h: Record<string, string> = { 'content-type': 'application/octet-stream', ...c.headers };
    if (c.status === 200) {
      h.etag ??= `"${createHash('sha256').update(c.body).digest('hex').slice(0, 32)}"`;
      h['last-modified'] ??= new Date(Math.floor(Date.now() / 86400000) * 86400000 - 86400000).toUTCString();
      // a content may say `accept-ranges: none`: then ranges are ignored (a full 200)
      h['accept-ranges'] ??= 'bytes';
      const inm = headers['if-none-match'];
      const ims = headers['if-modified-since'];
      if ((inm && inm.split(',').some((t) => t.trim() === h.etag)) || (!inm && ims && Date.parse(ims) >= Date.parse(h['last-modified']!))) {
        res.writeHead(304, { etag: h.etag, 'last-modified': h['last-modified']! });
        res.end();
        return;
      }
    }
    let status = c.status;
    const range = /^bytes=(\d*)-(\d*)$/.exec(headers.range ?? '');
    if (range && status === 200 && h['accept-ranges'] === 'bytes' && (!headers['if-range'] || headers['if-range'] === h.etag)) {
      const size = body.length;
      let start = range[1] === '' ? size - Number(range[2]) : Number(range[1]);
      let end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
      if (start >= size) { res.writeHead(416, { 'content-range': `bytes */${size}` }); res.end(); return; }
      start = Math.max(0, start); end = Math.max(start, end);
      h['content-range'] = `bytes ${start}-${end}/${size}`;
      body = body.subarray(start, end + 1);
      status = 206;
    }
    h['content-length'] = headLength ?? String(body.length);
    res.writeHead(status, h);
    if (method === 'HEAD') { res.end(); return; }
    await sendBody(res, body, f);
  }

  async function sendBody(res: ServerResponse, body: Buffer, f: Fault): Promise<void> {
    const limit = f.truncate_at ?? f.reset_after ?? body.length;
    const chunk = 64 * 1024;
    const t0 = performance.now();
    let sent = 0;
    let held = false;
    while (sent < Math.min(limit, body.length)) {
      if (f.gate && f.hold_at !== undefined && !held && sent >= f.hold_at) { held = true; await f.gate; }
      if (res.destroyed) return;
      let n = Math.min(chunk, Math.min(limit, body.length) - sent);
      if (f.gate && f.hold_at !== undefined && !held && sent + n > f.hold_at) n = f.hold_at - sent;
      const ok = res.write(body.subarray(sent, sent + n));
      sent += n;
      if (!ok) await new Promise<void>((r) => { const done = () => { res.off('drain', done); res.off('close', done); r(); }; res.on('drain', done); res.on('close', done); });
      if (f.rate) {
        const due = (sent / f.rate) * 1000 - (performance.now() - t0);
        if (due > 1) await sleep(due);
      }
    }
    if (sent < body.length) {
      if (f.truncate_at !== undefined) { res.socket?.end(); res.socket?.destroySoon?.(); return; }
      res.socket?.resetAndDestroy?.() ?? res.destroy();
      return;
    }
    res.end();
  }

  await fx.start();
  track(() => fx.stop());
  return fx;
}
