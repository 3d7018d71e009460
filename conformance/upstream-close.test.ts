// Upstreams that close the connection after every response (HTTP/1.0 servers, `Connection: close`)
// must never take the proxy down: undici's HTTP/1 parser used to assert when the FIN arrived while
// backpressure had paused it (patched at install, patches/undici+*.patch). CACHE_PROXY_FAULT_SLOW_OPEN_MS
// makes the fill start late, as on a busy disk, so a 64 KiB body and the FIN arrive before anything
// reads the body: without the patch the worker process dies on the first such fetch.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { startProxy, freePort, tmpDir, cleanupAll, type ProxyHandle } from './index.js';
import { track } from './harness/cleanup.js';

const KIB64 = 64 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** distinct bytes per path, so a mix-up shows in the digest */
const bodyFor = (path: string, size: number) => {
  const seed = createHash('sha256').update(path).digest();
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = seed[i % 32]! ^ (i & 0xff);
  return b;
};

/** /<framing>/<size>/<name>: cl, chunked, eof (HTTP/1.0, no length) or short (half the declared length); always closes */
async function closingUpstream(): Promise<{ url: string; count: (p: string) => number }> {
  const seen = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      const [method, path = '/'] = buf.split(' ');
      buf = '';
      seen.set(`${method} ${path}`, (seen.get(`${method} ${path}`) ?? 0) + 1);
      const parts = path.split('/').filter(Boolean);
      if (parts[0] === 'pass') parts.shift();
      const [framing, size] = parts;
      const body = bodyFor(path, Number(size));
      const heads: Record<string, string> = {
        cl: `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
        short: `HTTP/1.1 200 OK\r\nContent-Length: ${body.length * 2}\r\nConnection: close\r\n\r\n`,
        chunked: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
        eof: 'HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n',
      };
      const head = heads[framing ?? ''];
      if (!head) { s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'); return; }
      s.write(head);
      if (method === 'HEAD') { s.end(); return; }
      if (framing === 'chunked') s.write(`${body.length.toString(16)}\r\n`);
      s.write(body);
      if (framing === 'chunked') s.write('\r\n0\r\n\r\n');
      s.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  track(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  const a = server.address() as { port: number };
  return { url: `http://127.0.0.1:${a.port}`, count: (p) => seen.get(`GET ${p}`) ?? 0 };
}

/** python3 -m http.server: HTTP/1.0, closes after each response */
async function pythonUpstream(dir: string): Promise<{ url: string; log: () => string }> {
  const port = await freePort();
  let log = '';
  const c = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  c.stdout!.on('data', (d) => { log += d; });
  c.stderr!.on('data', (d) => { log += d; });
  track(() => { c.kill(); }, () => { c.kill('SIGKILL'); });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${url}/`).then((r) => r.ok, () => false)) return { url, log: () => log };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`python3 -m http.server did not start:\n${log}`);
}

/** a client that reads slowly: one chunk, then a pause, so the proxy's writes back up */
function slowGet(url: string, pauseMs = 3): Promise<{ status: number; body: Buffer; cache?: string; complete: boolean }> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => { parts.push(c); res.pause(); setTimeout(() => res.resume(), pauseMs); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), cache: res.headers['x-cache'] as string | undefined, complete: res.complete }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), complete: false }));
      res.on('aborted', () => undefined);
    });
    req.on('error', () => resolve({ status: 0, body: Buffer.alloc(0), complete: false }));
  });
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const restarts = async (proxy: ProxyHandle) => {
  const text = await fetch(`${proxy.url}/metrics`).then((r) => r.text());
  return Number(/^cache_proxy_worker_restarts_total (\d+)/m.exec(text)?.[1] ?? 0);
};

let up: Awaited<ReturnType<typeof closingUpstream>>, py: Awaited<ReturnType<typeof pythonUpstream>>, proxy: ProxyHandle;
let tree: string;

test.before(async () => {
  tree = tmpDir('close-tree-');
  for (const n of ['a', 'b', 'c']) writeFileSync(join(tree, `${n}.bin`), bodyFor(`/py/${n}`, KIB64));
  up = await closingUpstream();
  py = await pythonUpstream(tree);
  proxy = await startProxy({
    env: { CACHE_PROXY_FAULT_SLOW_OPEN_MS: '300' },
    config: `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
metrics: { path: /metrics }
instances:
  - name: net
    enabled: true
    file:
      route: { path: /net }
      upstreams: [${up.url}]
      default_policy: immutable
      rules:
        - { match: "pass/**", policy: bypass }
  - name: py
    enabled: true
    file:
      route: { path: /py }
      upstreams: [${py.url}]
      default_policy: immutable
`,
  });
});
test.after(cleanupAll);

for (const framing of ['cl', 'chunked', 'eof']) {
  test(`${framing}: a 64 KiB body from an upstream that closes, read slowly: every byte, cached, proxy alive`, async () => {
    const path = `/${framing}/${KIB64}/one`;
    const r = await slowGet(`${proxy.url}/net${path}`);
    assert.ok(alive(proxy.pid), `proxy died:\n${proxy.logs().slice(-3000)}`);
    assert.is(r.status, 200);
    assert.ok(r.complete, 'response cut off');
    assert.is(sha(r.body), sha(bodyFor(path, KIB64)));
    const again = await slowGet(`${proxy.url}/net${path}`);
    assert.is(again.cache, 'HIT');
    assert.is(sha(again.body), sha(bodyFor(path, KIB64)));
    assert.is(up.count(path), 1);
  });
}

test('three framings at once, 64 KiB, 64 KiB + 1 and 192 KiB bodies, slow clients: all complete, no worker restart', async () => {
  const paths = ['cl', 'chunked', 'eof'].flatMap((f) => [`/${f}/${KIB64}/two`, `/${f}/${KIB64 + 1}/two`, `/${f}/${KIB64 * 3}/two`]);
  const rs = await Promise.all(paths.map((p) => slowGet(`${proxy.url}/net${p}`, 5)));
  assert.ok(alive(proxy.pid), `proxy died:\n${proxy.logs().slice(-3000)}`);
  rs.forEach((r, i) => {
    const size = Number(paths[i]!.split('/')[2]);
    assert.is(r.status, 200, paths[i]);
    assert.ok(r.complete, `${paths[i]} cut off`);
    assert.is(sha(r.body), sha(bodyFor(paths[i]!, size)), paths[i]);
  });
  assert.is(await restarts(proxy), 0);
});

test('a 192 KiB chunked body from an upstream that closes completes', async () => {
  const path = `/chunked/${KIB64 * 3}/three`;
  const r = await slowGet(`${proxy.url}/net${path}`);
  assert.is(r.status, 200);
  assert.ok(r.complete, 'response cut off');
  assert.is(sha(r.body), sha(bodyFor(path, KIB64 * 3)));
});

test('passed through (not stored), 1 MiB bodies in all framings to slow clients: backpressure reaches the upstream, every byte arrives', async () => {
  const paths = ['cl', 'chunked', 'eof'].map((f) => `/${f}/${1024 * 1024}/x`);
  const rs = await Promise.all(paths.map((p) => slowGet(`${proxy.url}/net/pass${p}`, 2)));
  rs.forEach((r, i) => {
    assert.is(r.status, 200, paths[i]);
    assert.ok(r.complete, `${paths[i]} cut off`);
    assert.is(r.body.length, 1024 * 1024, paths[i]);
  });
  assert.ok(alive(proxy.pid));
  assert.is(await restarts(proxy), 0);
});

test('a truncated body (short Content-Length) closed while paused: the client is cut off, nothing cached, proxy alive', async () => {
  const path = `/short/${KIB64}/t`;
  const r = await slowGet(`${proxy.url}/net${path}`);
  assert.ok(alive(proxy.pid), `proxy died:\n${proxy.logs().slice(-3000)}`);
  assert.not.ok(r.complete && r.body.length === KIB64 * 2, 'a truncated body was delivered as complete');
  const again = await slowGet(`${proxy.url}/net${path}`);
  assert.is.not(again.cache, 'HIT');
  assert.is(up.count(path), 2);
  assert.is(await restarts(proxy), 0);
});

test('python3 -m http.server (HTTP/1.0) as a file-mode upstream: cold fetches of 64 KiB files complete, proxy alive', async () => {
  for (const n of ['a', 'b', 'c']) {
    const r = await slowGet(`${proxy.url}/py/${n}.bin`);
    assert.ok(alive(proxy.pid), `proxy died on ${n}.bin:\n${proxy.logs().slice(-3000)}`);
    assert.is(r.status, 200, `${n}.bin`);
    assert.ok(r.complete, `${n}.bin cut off`);
    assert.is(sha(r.body), sha(bodyFor(`/py/${n}`, KIB64)));
  }
  const hit = await slowGet(`${proxy.url}/py/a.bin`);
  assert.is(hit.cache, 'HIT');
  assert.is(await restarts(proxy), 0);
});

test.run();
