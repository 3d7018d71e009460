// HTTP helpers for tests: byte-exact results, abort detection, slow or partial readers, and real curl.
import { request } from 'node:http';
import { connect } from 'node:net';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';

export interface GetResult {
  status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; sha256: string; size: number;
  firstByteMs: number; totalMs: number; aborted: boolean;
  /** with `expect`: every byte equal to the expected body, and the same length */
  matches?: boolean;
}
export interface GetOptions {
  method?: string; headers?: Record<string, string>; discardBody?: boolean;
  abortAfterBytes?: number; abortAfterMs?: number; readRate?: number; timeoutMs?: number;
  /** compare the body byte for byte with this buffer as it arrives (cheaper than hashing) */
  expect?: Buffer;
  /** called as body bytes arrive, with the count received so far */
  onBytes?: (received: number) => void;
  /** ends the request (the result says aborted) */
  signal?: AbortSignal;
}

/**
 * A lean GET for storms: raw socket reading into one reusable 1 MiB buffer, comparing with `expect`
 * as bytes arrive. Needs a Content-Length response (anything else → aborted).
 */
function compareGet(url: string, expect: Buffer, headers: Record<string, string>, onBytes?: (received: number) => void): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const t0 = performance.now();
    let head = Buffer.alloc(0), headDone = false, status = 0, length = -1, size = 0, equal = true, firstByteMs = -1, settled = false;
    const hdrs: Record<string, string> = {};
    const finish = (aborted: boolean) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve({ status, headers: hdrs, body: Buffer.alloc(0), sha256: '', size, firstByteMs, totalMs: performance.now() - t0, aborted: aborted || size !== length, matches: equal && size === expect.length });
    };
    const onBody = (chunk: Buffer) => {
      if (equal && (size + chunk.length > expect.length || expect.compare(chunk, 0, chunk.length, size, size + chunk.length) !== 0)) equal = false;
      size += chunk.length;
      onBytes?.(size);
      if (size >= length) finish(false);
    };
    const sock = connect({
      host: u.hostname, port: Number(u.port || 80),
      onread: {
        buffer: Buffer.allocUnsafe(1024 * 1024),
        callback: (n: number, buf: Buffer) => {
          if (firstByteMs < 0) firstByteMs = performance.now() - t0;
          const data = buf.subarray(0, n);
          if (headDone) { onBody(data); return true; }
          head = Buffer.concat([head, data]);
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return true;
          headDone = true;
          const lines = head.subarray(0, end).toString('latin1').split('\r\n');
          status = Number(lines[0]!.split(' ')[1]);
          for (const l of lines.slice(1)) { const i = l.indexOf(':'); hdrs[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
          length = hdrs['content-length'] !== undefined ? Number(hdrs['content-length']) : -1;
          if (length < 0) { finish(true); return false; }
          const rest = head.subarray(end + 4);
          head = Buffer.alloc(0);
          if (rest.length) onBody(Buffer.from(rest));
          else if (length === 0) finish(false);
          return true;
        },
      },
    }, () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n${extra}Connection: close\r\n\r\n`);
    });
    sock.on('error', (e) => { if (!settled) { if (status) finish(true); else { settled = true; reject(e); } } });
    sock.on('close', () => finish(true));
  });
}

export function httpGet(url: string, o: GetOptions = {}): Promise<GetResult> {
  if (o.expect && o.discardBody && (o.method ?? 'GET') === 'GET' && !o.abortAfterBytes && !o.abortAfterMs && !o.readRate && !o.signal) return compareGet(url, o.expect, o.headers ?? {}, o.onBytes);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const hash = createHash('sha256');
    const parts: Buffer[] = [];
    let size = 0, firstByteMs = -1, settled = false, equal = true;
    const req = request(url, { method: o.method ?? 'GET', headers: { connection: 'close', ...(o.headers ?? {}) }, agent: false }, (res) => {
      const expected = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
      const finish = (aborted: boolean) => {
        if (settled) return;
        settled = true;
        const chunked = res.headers['transfer-encoding'] === 'chunked';
        const short = o.method !== 'HEAD' && res.statusCode !== 304 && expected !== undefined && size < expected;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), sha256: hash.digest('hex'), size, firstByteMs: firstByteMs < 0 ? performance.now() - t0 : firstByteMs, totalMs: performance.now() - t0, aborted: aborted || short || (chunked && !res.complete), matches: o.expect ? equal && size === o.expect.length : undefined });
      };
      if (o.abortAfterMs) setTimeout(() => { req.destroy(); finish(true); }, o.abortAfterMs);
      const stop = () => { req.destroy(); finish(true); };
      if (o.signal?.aborted) stop(); else o.signal?.addEventListener('abort', stop, { once: true });
      res.on('data', (c: Buffer) => {
        if (firstByteMs < 0) firstByteMs = performance.now() - t0;
        if (o.expect) { if (equal && (size + c.length > o.expect.length || o.expect.compare(c, 0, c.length, size, size + c.length) !== 0)) equal = false; }
        else hash.update(c);
        size += c.length;
        o.onBytes?.(size);
        if (!o.discardBody) parts.push(c);
        if (o.abortAfterBytes !== undefined && size >= o.abortAfterBytes) { req.destroy(); finish(true); }
        if (o.readRate) {
          res.pause();
          setTimeout(() => res.resume(), (c.length / o.readRate) * 1000);
        }
      });
      res.on('end', () => finish(!res.complete));
      res.on('aborted', () => finish(true));
      res.on('error', () => finish(true));
      res.on('close', () => finish(!res.complete));
    });
    req.on('error', (e) => { if (!settled) { settled = true; reject(e); } });
    if (o.timeoutMs) req.setTimeout(o.timeoutMs, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

export function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('curl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
