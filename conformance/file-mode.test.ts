// file mode real-client acceptance (modes/file.md §6): curl and HTTP against two fixture origins.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startFixtureServer, startProxy, httpGet, curl, tmpDir, cleanupAll, openable, waitFor, type FixtureServer, type ProxyHandle, repoRoot } from './index.js';

let tree: string, u1: FixtureServer, u2: FixtureServer, proxy: ProxyHandle, X: string;

test.before(async () => {
  tree = tmpDir('file-fixture-');
  execFileSync('bash', [join(repoRoot, 'conformance/fixtures/file/make.sh'), tree], { stdio: 'pipe' });
  u1 = await startFixtureServer({ root: tree });
  u2 = await startFixtureServer({ root: tree });
  proxy = await startProxy({
    config: `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
metrics: { path: /metrics }
instances:
  - name: files
    enabled: true
    file:
      route: { path: /files }
      upstreams: [${u1.url}, ${u2.url}]
      pass_headers: [X-Custom]
      default_policy: revalidate
      fresh_for: 1s
      rules:
        - { match: "releases/**/*.{zip,bin}", policy: immutable, busy_policy: join, checksum: "sums:SHA256SUMS" }
        - { match: "**/.hidden/*", policy: immutable }
`,
  });
  X = `${proxy.url}/files`;
});

const fixture = (p: string) => readFileSync(join(tree, p));

test('F1 cold: 200 MISS, identical bytes; U1 saw 1 GET app.zip and 1 GET SHA256SUMS', async () => {
  const r = await httpGet(`${X}/releases/v1/app.zip`);
  assert.is(r.status, 200);
  assert.is(r.headers['x-cache'], 'MISS');
  assert.ok(r.body.equals(fixture('releases/v1/app.zip')));
  assert.is(u1.count('GET', '/releases/v1/app.zip'), 1);
  assert.is(u1.count('GET', '/releases/v1/SHA256SUMS'), 1);
});

test('F2 warm: HIT with 0 upstream requests', async () => {
  const before = u1.requests.length + u2.requests.length;
  const r = await httpGet(`${X}/releases/v1/app.zip`);
  assert.is(r.headers['x-cache'], 'HIT');
  assert.ok(r.body.equals(fixture('releases/v1/app.zip')));
  assert.is(u1.requests.length + u2.requests.length, before);
});

test('F3 storm: 50 parallel GETs of big.bin at 32 MiB/s → 1 upstream GET, 50 identical bodies, first bytes streamed while the origin is paused half-way', async () => {
  const big = fixture('releases/v1/big.bin');
  const half = Math.floor(big.length / 2);
  const resume = openable();
  u1.fault('/releases/v1/big.bin', { rate: 32 * 1024 * 1024, hold_at: half, gate: resume.promise });
  const received = new Array<number>(50).fill(0);
  const all = Promise.all(received.map((_, i) => httpGet(`${X}/releases/v1/big.bin`, { discardBody: true, expect: big, onBytes: (n) => { received[i] = n; } })));
  // a client that waited for the fill to end would have nothing while the origin is paused (1 MiB: the proxy's buffers)
  await waitFor('every client to have the first half (less 1 MiB) while the origin is paused', async () => received.every((n) => n >= half - 1024 * 1024), 120_000);
  resume.open();
  const results = await all;
  u1.clearFaults();
  assert.is(u1.count('GET', '/releases/v1/big.bin'), 1);
  assert.is(results.filter((r) => r.matches).length, 50, '50 identical bodies');
});

test('F4 range on a hit → 206 with the right 100 bytes', async () => {
  const r = await curl(['-sS', '-r', '100-199', '-D', '-', '-o', '/dev/null', `${X}/releases/v1/big.bin`]);
  assert.is(r.code, 0);
  const g = await httpGet(`${X}/releases/v1/big.bin`, { headers: { range: 'bytes=100-199' } });
  assert.is(g.status, 206);
  assert.ok(g.body.equals(fixture('releases/v1/big.bin').subarray(100, 200)));
});

test('F5 revalidate: changed file → new bytes (U1 saw If-None-Match); unchanged → 304 upstream, FRESH', async () => {
  const a = await httpGet(`${X}/docs/index.html`);
  assert.is(a.status, 200);
  writeFileSync(join(tree, 'docs/index.html'), `<html>changed ${Date.now()}</html>\n`);
  await new Promise((r) => setTimeout(r, 1100));
  const b = await httpGet(`${X}/docs/index.html`);
  assert.ok(b.body.equals(fixture('docs/index.html')), 'new bytes');
  assert.ok(['REFRESH', 'MISS'].includes(String(b.headers['x-cache'])));
  assert.ok(u1.requests.some((q) => q.path === '/docs/index.html' && q.headers['if-none-match']), 'conditional GET sent');
  const c = await httpGet(`${X}/docs/index.html`);
  assert.is(c.headers['x-cache'], 'FRESH');
  await new Promise((r) => setTimeout(r, 1100));
  const d = await httpGet(`${X}/docs/index.html`);
  assert.is(d.headers['x-cache'], 'HIT', 'upstream 304 → HIT');
  assert.ok(u1.requests.every((q) => q.method !== 'HEAD'), 'no HEAD ever sent for revalidation');
});

test('F10 vary: X-Custom a/b → two upstream GETs carrying each value; repeats HIT', async () => {
  const a = await httpGet(`${X}/docs/v.txt`, { headers: { 'x-custom': 'a' } });
  const b = await httpGet(`${X}/docs/v.txt`, { headers: { 'x-custom': 'b' } });
  assert.is(a.status, 200); assert.is(b.status, 200);
  const seen = u1.requests.filter((q) => q.path === '/docs/v.txt').map((q) => q.headers['x-custom']);
  assert.equal(seen.sort(), ['a', 'b']);
  await new Promise((r) => setTimeout(r, 50));
  const a2 = await httpGet(`${X}/docs/v.txt`, { headers: { 'x-custom': 'a' } });
  assert.is(a2.headers['x-cache'], 'FRESH');
});

test('F11 bad input: traversal and NUL → 400, no upstream request', async () => {
  const before = u1.requests.length;
  for (const p of ['/../etc/passwd', '/%2e%2e/etc/passwd', '/a%00b']) {
    const r = await curl(['-sS', '--path-as-is', '-o', '/dev/null', '-w', '%{http_code}', `${X}${p}`]);
    assert.is(r.stdout.trim(), '400', p);
  }
  assert.is(u1.requests.length, before);
});

test('F12 dot-files: rule **/.hidden/* immutable → HIT the second time', async () => {
  const a = await httpGet(`${X}/.hidden/file`);
  assert.is(a.status, 200);
  const b = await httpGet(`${X}/.hidden/file`);
  assert.is(b.headers['x-cache'], 'HIT');
});

test('F8 status pass-through and negative cache', async () => {
  u1.fault('/secret/x', { status: 403 }); u2.fault('/secret/x', { status: 403 });
  const s = await httpGet(`${X}/secret/x`);
  assert.is(s.status, 403);
  const first = await httpGet(`${X}/missing/x`);
  assert.is(first.status, 404);
  for (let i = 0; i < 9; i++) assert.is((await httpGet(`${X}/missing/x`)).status, 404);
  assert.is(u1.count('GET', '/missing/x'), 1);
  u1.clearFaults(); u2.clearFaults();
});

test('F6 failover: U1 stopped → cold GET served by U2', async () => {
  await u1.stop();
  const r = await httpGet(`${X}/docs/other.html`);
  assert.is(r.status, 200);
  assert.ok(r.body.equals(fixture('docs/other.html')));
  assert.is(u2.count('GET', '/docs/other.html'), 1);
});

test('F7 outage: both stopped → app.zip HIT, index.html STALE, uncached → 502/503', async () => {
  await u2.stop();
  await new Promise((r) => setTimeout(r, 1100));
  const a = await httpGet(`${X}/releases/v1/app.zip`);
  assert.is(a.headers['x-cache'], 'HIT');
  const b = await httpGet(`${X}/docs/index.html`);
  assert.is(b.status, 200);
  assert.is(b.headers['x-cache'], 'STALE');
  const c = await httpGet(`${X}/docs/never-fetched.html`);
  assert.ok(c.status === 502 || c.status === 503, `uncached during outage → ${c.status}`);
  await u1.start(); await u2.start();
});

test('F9 checksum: flipped byte in app2.zip, SHA256SUMS intact → failure, nothing stored, verify_failures{kind="file"} 1', async () => {
  u1.fault('/releases/v1/app2.zip', { flip_byte: 10 }); u2.fault('/releases/v1/app2.zip', { flip_byte: 10 });
  const r = await httpGet(`${X}/releases/v1/app2.zip`);
  assert.ok(r.status === 502 || r.aborted, `status ${r.status} aborted ${r.aborted}`);
  assert.ok(!(r.status === 200 && !r.aborted && r.body.length === fixture('releases/v1/app2.zip').length));
  const m = await httpGet(`${proxy.url}/metrics`);
  assert.match(m.body.toString(), /cache_proxy_verify_failures_total\{instance="files",kind="file"\} 1/);
  u1.clearFaults(); u2.clearFaults();
  const again = await httpGet(`${X}/releases/v1/app2.zip`);
  assert.is(again.headers['x-cache'], 'MISS', 'nothing was stored');
  assert.ok(again.body.equals(fixture('releases/v1/app2.zip')));
});

test.after(async () => { await proxy?.stop(); await cleanupAll(); });
test.run();
