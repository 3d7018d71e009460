// Request admission on the wire (engine spec §8): a closing reject acts on nothing pipelined after it, Host
// validation, 414 for a long request line; plus X-Cache while the store is degraded and the alias-bomb config.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { startFixtureServer, startFileProxy, startNpmRegistry, startNpmProxy, httpGet, tmpDir, cleanupAll, repoRoot, type FixtureServer, type ProxyHandle } from './index.js';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** writes `text` on one connection and reads until the proxy closes it (closed: false when it stayed open) */
function raw(port: number, text: string | Buffer, waitMs = 10_000): Promise<{ out: string; closed: boolean }> {
  return new Promise((resolve) => {
    let out = '';
    let done = false;
    const finish = (closed: boolean) => { if (!done) { done = true; clearTimeout(timer); s.destroy(); resolve({ out, closed }); } };
    const s = connect(port, '127.0.0.1', () => s.write(text));
    s.on('data', (d) => { out += d.toString('latin1'); });
    s.on('end', () => finish(true));
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
    const timer = setTimeout(() => finish(false), waitMs);
  });
}
const statuses = (out: string) => [...out.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
const bodyOf = (out: string) => out.slice(out.indexOf('\r\n\r\n') + 4);

let up: FixtureServer, proxy: ProxyHandle, X: string;
test.before(async () => {
  up = await startFixtureServer();
  ({ proxy, X } = await startFileProxy({ upstreams: [up.url], file: '      default_policy: immutable\n' }));
});
test.after(async () => { await proxy.stop(); await up.close(); await cleanupAll(); });

const get = (path: string, host = '127.0.0.1') => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;

/** the reject, the closed connection, and no trace of the request pipelined behind it */
async function assertNothingAfter(name: string, first: string, want: number): Promise<void> {
  const path = `/piped-${name}.bin`;
  up.set(path, { body: randomBytes(2000) });
  const r = await raw(proxy.port, first + get(`/files${path}`));
  assert.equal(statuses(r.out), [want], `${name}: one answer ${JSON.stringify(r.out.slice(0, 600))}`);
  assert.ok(r.closed, `${name}: connection closed`);
  await sleep(500); // a fetch started for the pipelined request would have reached the upstream by now
  assert.is(up.count('GET', path), 0, `${name}: the pipelined request never reached the upstream`);
  const later = await httpGet(`${X}${path}`);
  assert.is(later.status, 200);
  assert.is(later.headers['x-cache'], 'MISS', `${name}: nothing was stored for it`);
  assert.is(up.count('GET', path), 1);
}

test('a GET with a Content-Length or chunked body: 400, connection closed, the request pipelined after it is not acted on', async () => {
  await assertNothingAfter('cl', 'GET /files/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello', 400);
  await assertNothingAfter('chunked', 'GET /files/x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 400);
  await assertNothingAfter('head-cl', 'HEAD /files/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\nhi', 400);
});

test('other closing rejects (431, 414, bad Host, a request that asked to close) act on nothing pipelined after them', async () => {
  const h = (extra: string, target = '/files/x') => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
  await assertNothingAfter('many-headers', h(Array.from({ length: 110 }, (_, i) => `X-H${i}: v\r\n`).join('')), 431);
  await assertNothingAfter('big-header', h(`X-Big: ${'b'.repeat(17 * 1024)}\r\n`), 431);
  await assertNothingAfter('long-target', h('', '/files/' + 'a'.repeat(9000)), 414);
  await assertNothingAfter('long-line', h('', '/files/' + 'a'.repeat(100 * 1024)), 414);
  await assertNothingAfter('bad-host', 'GET /files/x HTTP/1.1\r\nHost: evil.example:99999\r\n\r\n', 400);
  await assertNothingAfter('two-hosts', 'GET /files/x HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n', 400);
  // an answer that is not a reject but closes the connection all the same
  await assertNothingAfter('client-close', 'GET /nowhere/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 404);
});

test('pipelining still works: requests after a keep-alive answer (200, 404) are all answered, in order', async () => {
  up.set('/p1.bin', { body: 'one' });
  up.set('/p2.bin', { body: 'two' });
  const r = await raw(proxy.port, get('/files/p1.bin') + get('/nowhere/x') + get('/files/p2.bin') + 'GET /files/p1.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  assert.equal(statuses(r.out), [200, 404, 200, 200]);
  assert.ok(r.closed);
  assert.is(up.count('GET', '/p1.bin'), 1);
  assert.is(up.count('GET', '/p2.bin'), 1);
});

test('a malformed request behind one still being answered: that answer first, then the reject (no bytes in between)', async () => {
  const body = randomBytes(5000);
  up.set('/slow.bin', { body });
  up.fault('/slow.bin', { delay_ms: 300 });
  const r = await raw(proxy.port, `${get('/files/slow.bin')}GET /files/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(17 * 1024)}\r\n\r\n`);
  up.clearFaults();
  assert.equal(statuses(r.out), [200, 431]);
  assert.ok(r.closed);
  const first = r.out.slice(0, r.out.indexOf('HTTP/1.1 431'));
  assert.ok(Buffer.from(bodyOf(first), 'latin1').equals(body), 'the first answer is whole');
});

test('a 100 KiB request line → 414; a huge header → 431 (both close the connection)', async () => {
  const line = await raw(proxy.port, `GET /files/${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  assert.equal(statuses(line.out), [414]);
  assert.ok(line.closed);
  const after = await raw(proxy.port, `${get('/nowhere/x')}GET /files/${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  assert.equal(statuses(after.out), [404, 414], 'also as the second request of a connection');
  const header = await raw(proxy.port, `GET /files/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(100 * 1024)}\r\n\r\n`);
  assert.equal(statuses(header.out), [431]);
  assert.ok(header.closed);
});

test('Host: invalid forms → 400 with a short text; valid host[:port] forms are served', async () => {
  up.set('/host.bin', { body: 'host-ok' });
  const bad = ['evil.example:99999', 'a b', 'host:', ':80', '[::1', 'a\x01b', 'name:0', 'evil.example:8080/x', 'user@evil.example'];
  for (const host of bad) {
    const r = await raw(proxy.port, `GET /files/host.bin HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    assert.equal(statuses(r.out), [400], JSON.stringify(host));
    assert.ok(r.closed, `${JSON.stringify(host)}: connection closed`);
    assert.ok(bodyOf(r.out).length > 0 && bodyOf(r.out).length < 120, `${JSON.stringify(host)}: short text, got ${JSON.stringify(bodyOf(r.out))}`);
  }
  const empty = await raw(proxy.port, 'GET /files/host.bin HTTP/1.1\r\nHost: \r\n\r\n');
  assert.equal(statuses(empty.out), [400], 'empty Host on HTTP/1.1');
  assert.match(bodyOf(empty.out), /Host/);
  for (const host of ['name', 'name:8080', '127.0.0.1:1', '[::1]:80', 'cache.example:65535']) {
    const r = await raw(proxy.port, `GET /files/host.bin HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    assert.equal(statuses(r.out), [200], host);
    assert.ok(r.out.endsWith('host-ok'), host);
  }
  const http10 = await raw(proxy.port, 'GET /files/host.bin HTTP/1.0\r\nHost: \r\n\r\n');
  assert.equal(statuses(http10.out), [200], 'empty Host on HTTP/1.0');
  assert.is(up.count('GET', '/host.bin'), 1);
});

test('npm: a bad Host never becomes the base of rewritten tarball URLs; a good one does', async () => {
  const reg = await startNpmRegistry();
  const { proxy: npmProxy } = await startNpmProxy({ upstream: reg.url });
  try {
    const bad = await raw(npmProxy.port, 'GET /npm/fx-cli HTTP/1.1\r\nHost: evil.example:99999\r\nConnection: close\r\n\r\n');
    assert.equal(statuses(bad.out), [400]);
    assert.not.match(bad.out, /evil\.example/);
    const good = await raw(npmProxy.port, 'GET /npm/fx-cli HTTP/1.1\r\nHost: cache.example:8080\r\nConnection: close\r\n\r\n');
    assert.equal(statuses(good.out), [200]);
    assert.match(good.out, /"tarball":"http:\/\/cache\.example:8080\/npm\/fx-cli\/-\/fx-cli-1\.0\.0\.tgz"/);
  } finally {
    await npmProxy.stop();
    await reg.stop();
  }
});

test('store degraded (disk full): misses are served as BYPASS, not stored, hits keep working', async () => {
  const up2 = await startFixtureServer();
  const { proxy: p, X: X2 } = await startFileProxy({ upstreams: [up2.url], file: '      default_policy: immutable\n' });
  try {
    up2.set('/kept.bin', { body: 'kept' });
    assert.is((await httpGet(`${X2}/kept.bin`)).headers['x-cache'], 'MISS');
    await p.stop();
    await p.restart({ env: { CACHE_PROXY_FAULT_ENOSPC_AFTER: String(MiB) } });
    const big = randomBytes(3 * MiB);
    up2.set('/big.bin', { body: big });
    assert.ok((await httpGet(`${X2}/big.bin`)).body.equals(big), 'the write failure is not the client\'s');
    const small = randomBytes(1000);
    up2.set('/small.bin', { body: small });
    for (let i = 1; i <= 2; i++) {
      const r = await httpGet(`${X2}/small.bin`);
      assert.ok(r.body.equals(small));
      assert.is(r.headers['x-cache'], 'BYPASS', `miss ${i} while degraded`);
      assert.is(up2.count('GET', '/small.bin'), i, 'not stored');
    }
    assert.is((await httpGet(`${X2}/kept.bin`)).headers['x-cache'], 'HIT');
  } finally {
    await p.stop();
    await up2.close();
  }
});

test('validate: a YAML alias bomb is a configuration error naming file and line (exit 1)', () => {
  const dir = tmpDir('bomb-');
  const levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (const [prev, name] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g'], ['g', 'h']]) levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  const file = join(dir, 'bomb.yaml');
  writeFileSync(file, `server: { bind: "127.0.0.1:18099", backend: "${dir}/b" }\nx-bomb:\n${levels.map((l) => `  ${l}\n`).join('')}instances: []\n`);
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/cache-proxy.js'), 'validate', '-c', file], { encoding: 'utf8', timeout: 20_000 });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /bomb\.yaml:\d+:\d+: aliases expand to too many nodes/);
});

test.run();
