// Scenario directories (engine spec §2.5): instance.yaml + exchanges.jsonl + expect.jsonl, replayed
// against the real proxy. Returns the list of failures (empty = pass).
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join, isAbsolute } from 'node:path';
import { createHash } from 'node:crypto';
import { startFixtureServer, type Exchange } from './fixture.js';
import { startProxy } from './launcher.js';
import { httpGet } from './http.js';

/**
 * One client request and what must be observed. `${PROXY}` (the proxy's origin), `${UPSTREAM}` (the replay
 * server's) and `${UPSTREAM_HOST}` (its host:port) are substituted in the request path, `body`, `body_file` (a file,
 * relative to the scenario) and header values; for a HEAD,
 * `body`/`body_file` is the body a GET would get: Content-Length must be its length, and no body may come. A header
 * expected as null must be absent; `aborted` is a transfer cut before its Content-Length; `wait_ms` pauses first.
 */
export interface Expect {
  request: { path: string; method?: string; headers?: Record<string, string> };
  wait_ms?: number;
  status?: number; x_cache?: string; body_sha256?: string; body?: string; body_file?: string; aborted?: boolean;
  headers?: Record<string, string | null>;
  upstream_counts?: Record<string, number>;
}

const jsonl = <T>(file: string): T[] => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);

export async function runConformance(mode: string, fixturesDir: string, o: { plugins?: string[] } = {}): Promise<string[]> {
  const failures: string[] = [];
  for (const name of readdirSync(fixturesDir).sort()) {
    const dir = join(fixturesDir, name);
    if (!statSync(dir).isDirectory() || !existsSync(join(dir, 'instance.yaml'))) continue;
    const exchanges = jsonl<Exchange>(join(dir, 'exchanges.jsonl')).map((e) => ({ ...e, body_file: e.body_file && !isAbsolute(e.body_file) ? join(dir, e.body_file) : e.body_file }));
    const up = await startFixtureServer({ exchanges });
    const block = readFileSync(join(dir, 'instance.yaml'), 'utf8').replace(/\$\{UPSTREAM\}/g, up.url);
    const indented = block.split('\n').map((l) => `      ${l}`).join('\n');
    const proxy = await startProxy({
      config: `server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }\n${o.plugins?.length ? `plugins: ${JSON.stringify(o.plugins)}\n` : ''}instances:\n  - name: ${mode}\n    enabled: true\n    ${mode}:\n${indented}\n`,
    });
    try {
      const mount = /path:\s*([^\s,}]+)/.exec(block)?.[1] ?? '';
      const sub = (t: string) => t.split('${PROXY}').join(proxy.url).split('${UPSTREAM_HOST}').join(new URL(up.url).host).split('${UPSTREAM}').join(up.url);
      for (const [i, e] of jsonl<Expect>(join(dir, 'expect.jsonl')).entries()) {
        const at = `${name}#${i + 1} ${e.request.method ?? 'GET'} ${e.request.path}`;
        if (e.wait_ms) await new Promise((r) => setTimeout(r, e.wait_ms));
        const r = await httpGet(`${proxy.url}${mount}${sub(e.request.path)}`, { method: e.request.method, headers: e.request.headers });
        if (e.status !== undefined && r.status !== e.status) failures.push(`${at}: status ${r.status}, expected ${e.status}`);
        if (e.x_cache !== undefined && r.headers['x-cache'] !== e.x_cache) failures.push(`${at}: X-Cache ${String(r.headers['x-cache'])}, expected ${e.x_cache}`);
        if (e.aborted !== undefined && r.aborted !== e.aborted) failures.push(`${at}: transfer ${r.aborted ? 'aborted' : 'complete'}, expected ${e.aborted ? 'aborted' : 'complete'}`);
        const body = e.body_file !== undefined ? sub(readFileSync(join(dir, e.body_file), 'utf8')) : e.body !== undefined ? sub(e.body) : undefined;
        if (body !== undefined && e.request.method === 'HEAD') {
          if (r.headers['content-length'] !== String(Buffer.byteLength(body)) || r.size) failures.push(`${at}: Content-Length ${String(r.headers['content-length'])} and ${r.size} body bytes, expected ${Buffer.byteLength(body)} and none`);
        } else if (body !== undefined && r.body.toString() !== body) failures.push(`${at}: body differs (${r.size} bytes, expected ${Buffer.byteLength(body)})`);
        if (e.body_sha256 !== undefined && createHash('sha256').update(r.body).digest('hex') !== e.body_sha256) failures.push(`${at}: body sha256 differs (${r.size} bytes)`);
        for (const [h, v] of Object.entries(e.headers ?? {})) {
          const got = r.headers[h.toLowerCase()];
          if (v === null ? got !== undefined : got !== sub(v)) failures.push(`${at}: header ${h} = ${String(got)}, expected ${v === null ? 'none' : sub(v)}`);
        }
        for (const [k, n] of Object.entries(e.upstream_counts ?? {})) {
          const [method, path] = k.split(' ');
          const got = up.count(method!, path!);
          if (got !== n) failures.push(`${at}: upstream ${k} seen ${got} times, expected ${n}`);
        }
      }
      for (const u of up.unmatched) failures.push(`${name}: unmatched upstream request ${u.method} ${u.path}`);
    } finally {
      await proxy.stop();
      await up.close();
    }
  }
  return failures;
}
