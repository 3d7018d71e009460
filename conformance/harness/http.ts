// HTTP helpers for tests: byte-exact results, abort detection, slow or partial readers, and real curl.
import { request } from 'node:http';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';

export interface GetResult {
  status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; sha256: string; size: number;
  firstByteMs: number; totalMs: number; aborted: boolean;
}
export interface GetOptions {
  method?: string; headers?: Record<string, string>; discardBody?: boolean;
  abortAfterBytes?: number; abortAfterMs?: number; readRate?: number; timeoutMs?: number;
}

export function httpGet(url: string, o: GetOptions = {}): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const hash = createHash('sha256');
    const parts: Buffer[] = [];
    let size = 0, firstByteMs = -1, settled = false;
    const req = request(url, { method: o.method ?? 'GET', headers: { connection: 'close', ...(o.headers ?? {}) }, agent: false }, (res) => {
      const expected = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
      const finish = (aborted: boolean) => {
        if (settled) return;
        settled = true;
        const chunked = res.headers['transfer-encoding'] === 'chunked';
        const short = o.method !== 'HEAD' && res.statusCode !== 304 && expected !== undefined && size < expected;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), sha256: hash.digest('hex'), size, firstByteMs: firstByteMs < 0 ? performance.now() - t0 : firstByteMs, totalMs: performance.now() - t0, aborted: aborted || short || (chunked && !res.complete) });
      };
      if (o.abortAfterMs) setTimeout(() => { req.destroy(); finish(true); }, o.abortAfterMs);
      res.on('data', (c: Buffer) => {
        if (firstByteMs < 0) firstByteMs = performance.now() - t0;
        size += c.length;
        hash.update(c);
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
