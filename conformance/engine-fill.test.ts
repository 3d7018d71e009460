// Engine acceptance §10.2–4, 6, 8, 9: fills, followers, detached fills, truncation, ranges, HEAD.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, startFileProxy, httpGet, curl, cleanupAll, openable, waitFor, type FixtureServer, type ProxyHandle } from './index.js';

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const tmpEmpty = (p: ProxyHandle) => async () => readdirSync(join(p.backend, 'tmp')).length === 0;
const cached = (url: string) => async () => (await httpGet(url, { method: 'HEAD' })).headers['x-cache'] === 'HIT';

async function setup(top = ''): Promise<{ up: FixtureServer; proxy: ProxyHandle; X: string }> {
  const up = await startFixtureServer();
  return { up, ...(await startFileProxy({ upstreams: [up.url], top, file: '      default_policy: immutable\n      busy_policy: join\n' })) };
}

test('§10.2 a client arriving at 60 % of a fill gets the full, correct body; 1 upstream GET', async () => {
  const { up, proxy, X } = await setup();
  const data = randomBytes(10 * MiB);
  up.set('/a.bin', { body: data });
  // the origin pauses at 60 % until the late client has joined
  const resume = openable();
  up.fault('/a.bin', { rate: 10 * MiB, hold_at: 6 * MiB, gate: resume.promise });
  let firstHas = 0, lateHas = 0;
  const first = httpGet(`${X}/a.bin`, { onBytes: (n) => { firstHas = n; } });
  await waitFor('the first client at 60 % (less 1 MiB in buffers)', async () => firstHas >= 5 * MiB, 120_000);
  const lateP = httpGet(`${X}/a.bin`, { onBytes: (n) => { lateHas = n; } });
  await waitFor('the late client receiving the first bytes from the paused fill', async () => lateHas > 0, 120_000);
  resume.open();
  const late = await lateP;
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
  await waitFor('the detached fill to finish (tmp/ empty)', tmpEmpty(proxy), 120_000);
  const r = await httpGet(`${X}/leave.bin`);
  assert.is(r.headers['x-cache'], 'HIT');
  assert.is(sha(r.body), sha(data));
  assert.is(up.count('GET', '/leave.bin'), 1);
  await proxy.stop();

  const b = await setup('storage: { download: { detached_fill_budget: 1MiB } }');
  b.up.set('/leave.bin', { body: data });
  // the origin pauses at 10 MiB for good: tmp/ can only empty if the budget stops the fill
  b.up.fault('/leave.bin', { rate: 20 * MiB, hold_at: 10 * MiB, gate: openable().promise });
  await httpGet(`${b.X}/leave.bin`, { abortAfterBytes: MiB });
  await waitFor('the detached fill to stop at its budget (tmp/ empty)', tmpEmpty(b.proxy), 120_000);
  const again = await httpGet(`${b.X}/leave.bin`, { method: 'HEAD' });
  assert.ok(again.headers['x-cache'] !== 'HIT', 'nothing stored');
  await b.proxy.stop();
});

test('§10.4 a 100 KiB/s reader does not slow a full-speed reader; a GET after the fill is HIT while the slow one still reads', async () => {
  const { up, proxy, X } = await setup();
  const data = randomBytes(8 * MiB);
  up.set('/s.bin', { body: data });
  up.fault('/s.bin', { rate: 16 * MiB });
  const stopSlow = new AbortController();
  let slowHas = 0, slowDone = false;
  const slow = httpGet(`${X}/s.bin`, { readRate: 100 * 1024, signal: stopSlow.signal, onBytes: (n) => { slowHas = n; } }).finally(() => { slowDone = true; });
  await waitFor('the slow reader attached to the fill', async () => slowHas > 0, 120_000);
  const fast = await httpGet(`${X}/s.bin`);
  assert.is(sha(fast.body), sha(data));
  // at ≤ 100 KiB/s the slow reader needs ≥ 20 s for 2 MiB: a fast reader held back to its pace could not finish first
  assert.ok(slowHas < 2 * MiB, `the fast reader finished only after the slow one had read ${slowHas} bytes`);
  await waitFor('the fill stored (HEAD → HIT)', cached(`${X}/s.bin`), 120_000);
  const hit = await httpGet(`${X}/s.bin`);
  assert.is(hit.headers['x-cache'], 'HIT');
  assert.is(sha(hit.body), sha(data));
  assert.not.ok(slowDone, 'the slow reader is still reading');
  assert.is(up.count('GET', '/s.bin'), 1);
  stopSlow.abort();
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
  // last 1 KiB while the fill is under way (if the fill were over, the assertions below hold all the same)
  let fullHas = 0;
  const full = httpGet(`${X}/r.bin`, { onBytes: (n) => { fullHas = n; } });
  await waitFor('the fill under way', async () => fullHas > 0, 120_000);
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
  await waitFor('the range miss to fill the cache (HEAD → HIT)', cached(`${X}/m.bin`), 120_000);
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
