// An upstream body interrupted mid-way is resumed with Range + If-Range (engine spec §3.5.7): the clients' streams go on,
// the whole is verified as usual, and only the same entity is accepted as a continuation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { startFixtureServer, startFileProxy, httpGet, cleanupAll, type FixtureServer } from './index.js';
import type { FixtureOptions } from './harness/fixture.js';

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const data = randomBytes(20 * MiB);
const RESET = 7 * MiB;
// slow enough that every client joins the fill before the reset
const interrupted = { reset_after: RESET, once: true, rate: 14 * MiB };

async function setup(o: FixtureOptions = {}) {
  const up = await startFixtureServer(o);
  up.set('/v/SHA256SUMS', { body: `${sha(data)}  big.bin\n` });
  const { proxy, X } = await startFileProxy({
    upstreams: [up.url],
    top: 'metrics: { path: /metrics }',
    file: `      default_policy: immutable
      busy_policy: join
      rules:
        - { match: "v/*.bin", checksum: "sums:SHA256SUMS" }
        - { match: "pass/**", policy: bypass }
`,
  });
  return { up, proxy, X };
}
const gets = (up: FixtureServer, path: string) => up.requests.filter((r) => r.method === 'GET' && r.path === path);
const clients = (url: string, n = 3) => Promise.all(Array.from({ length: n }, () => httpGet(url, { timeoutMs: 60_000 })));
const metric = async (url: string, name: string) => {
  const line = (await httpGet(`${url}/metrics`)).body.toString().split('\n').find((l) => l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : 0;
};
const failed = (r: { status: number; aborted: boolean; sha256: string }, whole: Buffer) =>
  r.status >= 500 || r.aborted || r.sha256 !== sha(whole);

test('reset at 7 MiB of 20 MiB → 3 concurrent clients get the exact bytes; 1 full GET + 1 Range GET with If-Range; stored, then HIT', async () => {
  const { up, proxy, X } = await setup();
  up.set('/v/big.bin', { body: data });
  up.fault('/v/big.bin', interrupted);
  const rs = await clients(`${X}/v/big.bin`);
  for (const r of rs) {
    assert.is(r.status, 200);
    assert.not.ok(r.aborted);
    assert.is(r.sha256, sha(data));
  }
  const seen = gets(up, '/v/big.bin');
  assert.is(seen.length, 2);
  assert.is(seen[0]!.headers.range, undefined);
  const offset = Number(/^bytes=(\d+)-$/.exec(seen[1]!.headers.range ?? '')?.[1]);
  assert.ok(offset > 0 && offset <= RESET, `resumed at ${seen[1]!.headers.range}`);
  assert.is(seen[1]!.headers['if-range'], `"${sha(data).slice(0, 32)}"`, 'If-Range carries the strong ETag');
  assert.is(await metric(proxy.url, 'cache_proxy_upstream_resumes_total'), 1);
  const hit = await httpGet(`${X}/v/big.bin`);
  assert.is(hit.headers['x-cache'], 'HIT');
  assert.is(hit.sha256, sha(data));
  assert.is(gets(up, '/v/big.bin').length, 2, 'no new upstream request');
  await proxy.stop();
});

test('a body cut short by a clean close is resumed too', async () => {
  const { up, proxy, X } = await setup();
  up.set('/t.bin', { body: data });
  up.fault('/t.bin', { truncate_at: RESET, once: true });
  const r = await httpGet(`${X}/t.bin`, { timeoutMs: 60_000 });
  assert.is(r.status, 200);
  assert.is(r.sha256, sha(data));
  assert.is(gets(up, '/t.bin').length, 2);
  assert.is((await httpGet(`${X}/t.bin`)).headers['x-cache'], 'HIT');
  await proxy.stop();
});

test('a resumed body with a wrong byte in the continuation still fails verification: clients aborted, nothing stored', async () => {
  const { up, proxy, X } = await setup();
  up.set('/v/big.bin', { body: data });
  up.fault('/v/big.bin', interrupted);
  up.fault('/v/big.bin', { flip_byte: 15 * MiB });
  const rs = await clients(`${X}/v/big.bin`);
  for (const r of rs) assert.ok(failed(r, data), `status ${r.status} aborted ${r.aborted}`);
  assert.is(gets(up, '/v/big.bin').length, 2);
  assert.is(await metric(proxy.url, 'cache_proxy_upstream_resumes_total'), 1);
  assert.is(await metric(proxy.url, 'cache_proxy_verify_failures_total'), 1);
  up.clearFaults();
  const again = await httpGet(`${X}/v/big.bin`);
  assert.is(again.headers['x-cache'], 'MISS', 'nothing was stored');
  assert.is(again.sha256, sha(data));
  await proxy.stop();
});

test('the entity changed before the range request (If-Range → 200) → clients aborted, nothing stored', async () => {
  const changed = randomBytes(20 * MiB);
  const { up, proxy, X } = await setup({ resolve: (path, h) => (path === '/c.bin' ? { body: h['if-range'] ? changed : data } : undefined) });
  up.fault('/c.bin', interrupted);
  const rs = await clients(`${X}/c.bin`);
  for (const r of rs) assert.ok(failed(r, data) && r.sha256 !== sha(changed), `status ${r.status} aborted ${r.aborted}`);
  const seen = gets(up, '/c.bin');
  assert.is(seen.length, 2);
  assert.ok(seen[1]!.headers['if-range'] && seen[1]!.headers.range);
  const again = await httpGet(`${X}/c.bin`);
  assert.is(again.headers['x-cache'], 'MISS', 'nothing was stored');
  assert.is(again.sha256, sha(data));
  await proxy.stop();
});

for (const [what, headers] of [['a weak ETag', { etag: 'W/"v1"' }], ['no Accept-Ranges', { 'accept-ranges': 'none' }]] as const) {
  test(`${what} → no resume: clients aborted, 1 upstream GET, nothing stored`, async () => {
    const { up, proxy, X } = await setup();
    up.set('/n.bin', { body: data, headers });
    up.fault('/n.bin', interrupted);
    const rs = await clients(`${X}/n.bin`);
    for (const r of rs) assert.ok(failed(r, data), `status ${r.status} aborted ${r.aborted}`);
    assert.is(gets(up, '/n.bin').length, 1);
    assert.is(await metric(proxy.url, 'cache_proxy_upstream_resumes_total'), 0);
    const again = await httpGet(`${X}/n.bin`);
    assert.is(again.headers['x-cache'], 'MISS', 'nothing was stored');
    assert.is(again.sha256, sha(data));
    await proxy.stop();
  });
}

test('a client Range passed upstream (bypass; If-Range no longer matching → 200) is never resumed; a plain bypass GET is', async () => {
  const { up, proxy, X } = await setup();
  up.set('/pass/p.bin', { body: data });
  up.fault('/pass/p.bin', interrupted);
  const r = await httpGet(`${X}/pass/p.bin`, { headers: { range: 'bytes=0-', 'if-range': '"stale"' }, timeoutMs: 60_000 });
  assert.ok(failed(r, data), `status ${r.status} aborted ${r.aborted}`);
  assert.is(gets(up, '/pass/p.bin').length, 1);
  assert.is(await metric(proxy.url, 'cache_proxy_upstream_resumes_total'), 0);
  up.fault('/pass/p.bin', interrupted);
  const plain = await httpGet(`${X}/pass/p.bin`, { timeoutMs: 60_000 });
  assert.is(plain.status, 200);
  assert.is(plain.sha256, sha(data));
  assert.is(gets(up, '/pass/p.bin').length, 3);
  assert.is(await metric(proxy.url, 'cache_proxy_upstream_resumes_total'), 1);
  await proxy.stop();
});

test.after(async () => { await cleanupAll(); });
test.run();
