// Engine acceptance §10.10, 11, 18, 19, 20, 22: revalidation, negative cache, stale/offline, expiry & GC, LRU, start-up repair.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync, mkdirSync, existsSync, unlinkSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, startFileProxy, httpGet, cleanupAll, waitFor, type FixtureServer, type ProxyHandle } from './index.js';

const KiB = 1024, MiB = 1024 * KiB;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(o: { top?: string; file?: string; instances?: string } = {}): Promise<{ up: FixtureServer; proxy: ProxyHandle; X: string }> {
  const up = await startFixtureServer();
  const file = o.file ?? '      default_policy: revalidate\n      fresh_for: 1s\n';
  return { up, ...(await startFileProxy({ upstreams: [up.url], top: o.top, file, instances: o.instances?.replace(/\$\{UP\}/g, up.url) })) };
}

const blobFiles = (backend: string) => {
  const root = join(backend, 'blobs', 'sha256');
  return existsSync(root) ? readdirSync(root).flatMap((d) => readdirSync(join(root, d))) : [];
};

test('§10.10 fresh_for 3s: no contact while fresh, then one conditional GET; changed → REFRESH; 50 on stale → 1 GET; client conditionals → 304', async () => {
  // 3 s rather than 1 s: a loaded machine must not turn the FRESH answer right after the MISS into a revalidation
  const { up, proxy, X } = await setup({ file: '      default_policy: revalidate\n      fresh_for: 3s\n      busy_policy: stale\n' });
  up.set('/doc.txt', { body: 'version 1\n' });
  assert.is((await httpGet(`${X}/doc.txt`)).headers['x-cache'], 'MISS');
  assert.is((await httpGet(`${X}/doc.txt`)).headers['x-cache'], 'FRESH');
  assert.is(up.count('GET', '/doc.txt'), 1);
  await sleep(3100);
  const hit = await httpGet(`${X}/doc.txt`);
  assert.is(hit.headers['x-cache'], 'HIT');
  const cond = up.requests.filter((q) => q.path === '/doc.txt');
  assert.is(cond.length, 2);
  assert.ok(cond[1]!.headers['if-none-match'], 'conditional GET with the stored ETag');
  assert.is(up.count('HEAD', '/doc.txt'), 0);
  up.set('/doc.txt', { body: 'version 2\n' });
  await sleep(3100);
  const changed = await httpGet(`${X}/doc.txt`);
  assert.is(changed.headers['x-cache'], 'REFRESH');
  assert.is(changed.body.toString(), 'version 2\n');
  await sleep(3100);
  up.fault('/doc.txt', { delay_ms: 300 });
  const before = up.count('GET', '/doc.txt');
  await Promise.all(Array.from({ length: 50 }, () => httpGet(`${X}/doc.txt`)));
  assert.is(up.count('GET', '/doc.txt') - before, 1, '50 concurrent requests on a stale entry → 1 GET');
  up.clearFaults();
  const n = up.requests.length;
  const c304 = await httpGet(`${X}/doc.txt`, { headers: { 'if-none-match': String(changed.headers.etag) } });
  assert.is(c304.status, 304);
  assert.is(c304.body.length, 0);
  const ims = await httpGet(`${X}/doc.txt`, { headers: { 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() } });
  assert.is(ims.status, 304);
  assert.is(up.requests.length, n, '0 upstream requests for client conditionals');
  await proxy.stop();
});

test('§10.11 upstream 404 → 10 GETs within negative_ttl make 1 request (then NEGATIVE); after the TTL a new one; same for 410', async () => {
  // a TTL the 10 GETs fit in even on a loaded machine (they take well under a second on an idle one)
  const { up, proxy, X } = await setup({ top: 'storage: { negative_ttl: 6s }' });
  up.fault('/gone.txt', { status: 410 });
  for (const p of ['/nope.txt', '/gone.txt']) {
    const first = await httpGet(`${X}${p}`);
    assert.is(first.status, p === '/nope.txt' ? 404 : 410);
    for (let i = 0; i < 9; i++) {
      const r = await httpGet(`${X}${p}`);
      assert.is(r.headers['x-cache'], 'NEGATIVE');
    }
    assert.is(up.count('GET', p), 1);
  }
  await sleep(6100);
  await httpGet(`${X}/nope.txt`);
  assert.is(up.count('GET', '/nope.txt'), 2);
  await proxy.stop();
});

test('§10.18 stale-if-error: upstream refusing or 500 → STALE; past expires_at → 502; offline → 0 connections, miss → 504', async () => {
  // expire_after far enough past fresh_for that the STALE answers come before it even on a loaded machine
  const { up, proxy, X } = await setup({ file: '      default_policy: revalidate\n      fresh_for: 1s\n      expire_after: 8s\n' });
  up.set('/s.txt', { body: 'stored\n' });
  await httpGet(`${X}/s.txt`);
  await sleep(1100);
  up.fault('/s.txt', { status: 500 });
  const a = await httpGet(`${X}/s.txt`);
  assert.is(a.headers['x-cache'], 'STALE');
  assert.is(a.body.toString(), 'stored\n');
  await up.stop();
  const b = await httpGet(`${X}/s.txt`);
  assert.is(b.headers['x-cache'], 'STALE');
  await sleep(7200);
  const c = await httpGet(`${X}/s.txt`);
  assert.is(c.status, 502, 'past expires_at');
  await up.start();
  up.clearFaults();
  await proxy.stop();

  const o = await setup({ top: 'storage: { offline: false }', file: '      default_policy: revalidate\n      fresh_for: 1s\n' });
  o.up.set('/k.txt', { body: 'kept\n' });
  await httpGet(`${o.X}/k.txt`);
  await o.proxy.stop();
  const n = o.up.requests.length;
  await o.proxy.restart({ args: ['--offline'] });
  await sleep(1100);
  const hit = await httpGet(`${o.X}/k.txt`);
  assert.is(hit.status, 200);
  assert.is(hit.body.toString(), 'kept\n');
  const miss = await httpGet(`${o.X}/other.txt`);
  assert.is(miss.status, 504);
  assert.is(o.up.requests.length, n, 'offline: 0 upstream requests');
  await o.proxy.stop();
});

test('§10.19 identical bytes in two instances → one blob; deleting one entry keeps it for the other', async () => {
  const { up, proxy } = await setup({
    file: '      default_policy: immutable\n',
    instances: `  - name: files2
    enabled: true
    file:
      route: { path: /files2 }
      upstreams: [\${UP}]
      default_policy: immutable
      rules: [{ match: "short/**", expire_after: 2s }]
`,
  });
  const body = randomBytes(64 * KiB);
  up.set('/same.bin', { body });
  up.set('/short/x.bin', { body: randomBytes(KiB) });
  await httpGet(`${proxy.url}/files/same.bin`);
  await httpGet(`${proxy.url}/files2/same.bin`);
  await httpGet(`${proxy.url}/files2/short/x.bin`);
  // a body is committed after its response; a request for it waits for that commit
  for (const p of ['/files/same.bin', '/files2/same.bin', '/files2/short/x.bin']) assert.is((await httpGet(`${proxy.url}${p}`, { method: 'HEAD' })).headers['x-cache'], 'HIT');
  assert.is(blobFiles(proxy.backend).length, 2, 'one blob for identical bytes + one other');
  await proxy.stop();
});

test('§10.20 storage.max_size 10 MiB, 15 × 1 MiB in order, some re-read → ≤ 10 MiB, LRU gone, re-read kept, evictions counted', async () => {
  const { up, proxy, X } = await setup({ top: 'storage: { max_size: 10MiB }', file: '      default_policy: immutable\n' });
  for (let i = 0; i < 15; i++) up.set(`/o${i}.bin`, { body: randomBytes(MiB) });
  for (let i = 0; i < 15; i++) {
    await httpGet(`${X}/o${i}.bin`);
    if (i >= 3) { await httpGet(`${X}/o0.bin`); await httpGet(`${X}/o1.bin`); }
    await sleep(60);
  }
  await waitFor('eviction down to 10 MiB', async () => blobFiles(proxy.backend).length <= 10, 120_000);
  const reread = await httpGet(`${X}/o0.bin`, { method: 'HEAD' });
  assert.is(reread.headers['x-cache'], 'HIT', 'a re-read object is kept');
  const oldest = await httpGet(`${X}/o2.bin`, { method: 'HEAD' });
  assert.ok(oldest.headers['x-cache'] !== 'HIT', 'the least recently used one is gone');
  const m = (await httpGet(`${proxy.url}/metrics`)).body.toString();
  assert.match(m, /cache_proxy_evictions_total\{instance="files",reason="size"\} [1-9]/);
  await proxy.stop();
});

test('§10.22 planted tmp files and a corrupt entry record are gone after start; an entry whose blob was deleted → miss', async () => {
  const { up, proxy, X } = await setup({ file: '      default_policy: immutable\n' });
  up.set('/p.bin', { body: randomBytes(10 * KiB) });
  await httpGet(`${X}/p.bin`);
  await proxy.stop();
  writeFileSync(join(proxy.backend, 'tmp', 'planted.part'), 'junk');
  const edir = join(proxy.backend, 'entries', 'files', 'ff');
  mkdirSync(edir, { recursive: true });
  writeFileSync(join(edir, 'f'.repeat(64) + '.json'), '{not json');
  const root = join(proxy.backend, 'blobs', 'sha256');
  for (const d of readdirSync(root)) for (const f of readdirSync(join(root, d))) { chmodSync(join(root, d), 0o755); unlinkSync(join(root, d, f)); }
  await proxy.restart();
  assert.equal(readdirSync(join(proxy.backend, 'tmp')), []);
  await waitFor('the corrupt entry record dropped', async () => !existsSync(join(edir, 'f'.repeat(64) + '.json')), 120_000);
  const r = await httpGet(`${X}/p.bin`);
  assert.is(r.headers['x-cache'], 'MISS');
  await proxy.stop();
});

test.after(cleanupAll);
test.run();
