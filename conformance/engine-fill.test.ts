// Engine acceptance §10.2–4, 6, 8, 9: fills, followers, detached fills, truncation, ranges, HEAD.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, startFileProxy, httpGet, curl, cleanupAll, type FixtureServer, type ProxyHandle } from './index.js';

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(top = ''): Promise<{ up: FixtureServer; proxy: ProxyHandle; X: string }> {
  const up = await startFixtureServer();
  return { up, ...(await startFileProxy({ upstreams: [up.url], top, file: '      default_policy: immutable\n      busy_policy: join\n' })) };
}

test('§10.2 a client arriving at 60 % of a fill gets the full, correct body; 1 upstream GET', async () => {
  const { up, proxy, X } = await setup();
  const data = randomBytes(10 * MiB);
  up.set('/a.bin', { body: data });
  up.fault('/a.bin', { rate: 10 * MiB });
  const first = httpGet(`${X}/a.bin`);
  await sleep(600);
  const late = await httpGet(`${X}/a.bin`);
  assert.is(late.headers['x-cache'], 'JOIN');
  assert.is(sha(late.body), sha(data));
  assert.is(sha((await first).body), sha(data));
  assert.is(up.count('GET', '/a.bin'), 1);
  await proxy.stop();
});

test('§10.3 the only client leaves after 1 MiB → the fill completes, next GET HIT; with a 1 MiB detached budget it stops, tmp/ empty', async () => {
  const { up, proxy, X } = await setup();
  const data = randomBytes(50 * MiB);
  up.set('/leave.bin', { body: data });
  up.fault('/leave.bin', { rate: 100 * MiB });
  await httpGet(`${X}/leave.bin`, { abortAfterBytes: MiB });
  for (let i = 0; i < 100; i++) { await sleep(100); if (readdirSync(join(proxy.backend, 'tmp')).length === 0) break; }
  const r = await httpGet(`${X}/leave.bin`);
  assert.is(r.headers['x-cache'], 'HIT');
  assert.is(sha(r.body), sha(data));
  assert.is(up.count('GET', '/leave.bin'), 1);
  await proxy.stop();

  const b = await setup('storage: { download: { detached_fill_budget: 1MiB } }');
  b.up.set('/leave.bin', { body: data });
  b.up.fault('/leave.bin', { rate: 20 * MiB });
  await httpGet(`${b.X}/leave.bin`, { abortAfterBytes: MiB });
  await sleep(1000);
  assert.equal(readdirSync(join(b.proxy.backend, 'tmp')), [], 'tmp/ empty within 1 s');
  const again = await httpGet(`${b.X}/leave.bin`, { method: 'HEAD' });
  assert.ok(again.headers['x-cache'] !== 'HIT', 'nothing stored');
  await b.proxy.stop();
});

test('§10.4 a 100 KiB/s reader does not slow a full-speed reader; a GET after the fill is HIT while the slow one still reads', async () => {
  const { up, proxy, X } = await setup();
  const data = randomBytes(8 * MiB);
  up.set('/s.bin', { body: data });
  up.fault('/s.bin', { rate: 16 * MiB });
  const t0 = performance.now();
  const slow = httpGet(`${X}/s.bin`, { readRate: 100 * 1024, abortAfterMs: 4000 });
  await sleep(20);
  const fast = await httpGet(`${X}/s.bin`);
  const fastMs = performance.now() - t0;
  assert.is(sha(fast.body), sha(data));
  assert.ok(fastMs < 1.2 * 500 + 300, `fast reader took ${fastMs.toFixed(0)} ms for a 500 ms transfer`);
  await sleep(100);
  const hit = await httpGet(`${X}/s.bin`);
  assert.is(hit.headers['x-cache'], 'HIT');
  await slow;
  await proxy.stop();
});

test('§10.6 upstream truncates → curl exit 18, nothing stored, next GET refetches', async () => {
  const { up, proxy, X } = await setup();
  const data = randomBytes(2 * MiB);
  // without ranges: a resumable body would be continued instead (engine-resume.test.ts)
  up.set('/t.bin', { body: data, headers: { 'accept-ranges': 'none' } });
  up.fault('/t.bin', { truncate_at: MiB, once: true });
  const c = await curl(['-sS', '-o', '/dev/null', `${X}/t.bin`]);
  assert.is(c.code, 18, 'curl: transfer closed with outstanding read data');
  const r = await httpGet(`${X}/t.bin`);
  assert.is(r.headers['x-cache'], 'MISS');
  assert.is(sha(r.body), sha(data));
  assert.is(up.count('GET', '/t.bin'), 2);
  await proxy.stop();
});

test('§10.8 ranges: hit, multipart, unsatisfiable, If-Range, during a fill, on a miss', async () => {
  const { up, proxy, X } = await setup();
  const data = randomBytes(4 * MiB);
  up.set('/r.bin', { body: data });
  up.fault('/r.bin', { rate: 4 * MiB });
  // last 1 KiB while the fill is at ~10 %
  const full = httpGet(`${X}/r.bin`);
  await sleep(150);
  const tail = await httpGet(`${X}/r.bin`, { headers: { range: 'bytes=-1024' } });
  assert.is(tail.status, 206);
  assert.ok(tail.body.equals(data.subarray(data.length - 1024)));
  await full;
  assert.is(up.count('GET', '/r.bin'), 1);
  const one = await httpGet(`${X}/r.bin`, { headers: { range: 'bytes=100-199' } });
  assert.is(one.status, 206);
  assert.is(one.headers['content-range'], `bytes 100-199/${data.length}`);
  assert.ok(one.body.equals(data.subarray(100, 200)));
  const two = await httpGet(`${X}/r.bin`, { headers: { range: 'bytes=0-9,20-29' } });
  assert.is(two.status, 206);
  assert.match(String(two.headers['content-type']), /^multipart\/byteranges; boundary=/);
  assert.ok(two.body.includes(data.subarray(0, 10)) && two.body.includes(data.subarray(20, 30)));
  const bad = await httpGet(`${X}/r.bin`, { headers: { range: 'bytes=999999999-' } });
  assert.is(bad.status, 416);
  assert.is(bad.headers['content-range'], `bytes */${data.length}`);
  const ifr = await httpGet(`${X}/r.bin`, { headers: { range: 'bytes=0-9', 'if-range': '"old"' } });
  assert.is(ifr.status, 200);
  assert.is(ifr.body.length, data.length);
  const junk = await httpGet(`${X}/r.bin`, { headers: { range: 'bytes=abc' } });
  assert.is(junk.status, 200);
  // a range on a miss fills the cache
  up.set('/m.bin', { body: data });
  const rm = await httpGet(`${X}/m.bin`, { headers: { range: 'bytes=10-19' } });
  assert.is(rm.status, 206);
  assert.ok(rm.body.equals(data.subarray(10, 20)));
  await sleep(300);
  const after = await httpGet(`${X}/m.bin`);
  assert.is(after.headers['x-cache'], 'HIT');
  assert.is(up.count('GET', '/m.bin'), 1);
  await proxy.stop();
});

test('§10.9 HEAD: miss → 1 upstream HEAD, 0 GET; stored → 0 requests and the GET length; upstream 405 to HEAD → 200 with right length', async () => {
  const { up, proxy, X } = await setup();
  const data = randomBytes(300 * 1024);
  up.set('/h.bin', { body: data });
  const h = await httpGet(`${X}/h.bin`, { method: 'HEAD' });
  assert.is(h.status, 200);
  assert.is(h.headers['content-length'], String(data.length));
  assert.is(up.count('HEAD', '/h.bin'), 1);
  assert.is(up.count('GET', '/h.bin'), 0);
  await httpGet(`${X}/h.bin`);
  const before = up.requests.length;
  const h2 = await httpGet(`${X}/h.bin`, { method: 'HEAD' });
  assert.is(h2.headers['content-length'], String(data.length));
  assert.is(up.requests.length, before);
  up.set('/nohead.bin', { body: data });
  up.fault('/nohead.bin', { status: 405, methods: ['HEAD'] });
  const h3 = await httpGet(`${X}/nohead.bin`, { method: 'HEAD' });
  assert.is(h3.status, 200);
  assert.is(h3.headers['content-length'], String(data.length));
  await proxy.stop();
});

test.after(cleanupAll);
test.run();
