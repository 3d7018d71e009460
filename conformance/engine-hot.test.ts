// Remembered answers for repeated plain hits (engine/hot-hits.ts): they must be indistinguishable from the
// full pipeline — same bytes and headers, counted in metrics, never served after the entry changed, and
// never used for Range, conditionals or another vary class.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { startFixtureServer, startProxy, httpGet, fileConfig, cleanupAll } from './index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stable = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => !['x-request-id', 'age', 'date'].includes(k)));

test('repeated hits: identical bytes and headers, 0 upstream requests, every request counted', async () => {
  const up = await startFixtureServer();
  const body = randomBytes(4096);
  up.set('/a.bin', { body });
  const proxy = await startProxy({ config: fileConfig({ upstreams: [up.url], file: '      default_policy: immutable\n' }) });
  const X = `${proxy.url}/files`;
  assert.is((await httpGet(`${X}/a.bin`)).headers['x-cache'], 'MISS');
  const first = await httpGet(`${X}/a.bin`);
  assert.is(first.headers['x-cache'], 'HIT');
  for (let i = 0; i < 20; i++) {
    const r = await httpGet(`${X}/a.bin`, { headers: { 'x-request-id': `req-${i}` } });
    assert.ok(r.body.equals(body), 'bytes');
    assert.equal(stable(r.headers), stable(first.headers), 'headers');
    assert.is(r.headers['x-request-id'], `req-${i}`, 'a valid client request id is echoed');
  }
  for (const method of ['POST', 'DELETE', 'OPTIONS']) {
    const other = await httpGet(`${X}/a.bin`, { method });
    assert.is(other.status, 405, `${method} on a remembered URL is still refused`);
  }
  const head = await httpGet(`${X}/a.bin`, { method: 'HEAD' });
  assert.is(head.headers['content-length'], '4096');
  assert.is(head.size, 0);
  assert.is(up.count('GET', '/a.bin'), 1);
  const range = await httpGet(`${X}/a.bin`, { headers: { range: 'bytes=100-199' } });
  assert.is(range.status, 206);
  assert.ok(range.body.equals(body.subarray(100, 200)), 'a Range request is answered by the pipeline');
  const etag = String(first.headers.etag);
  const cond = await httpGet(`${X}/a.bin`, { headers: { 'if-none-match': etag } });
  assert.is(cond.status, 304, 'a conditional request is answered by the pipeline');
  const metrics = (await httpGet(`${proxy.url}/metrics`)).body.toString();
  assert.match(metrics, /cache_proxy_requests_total\{instance="files",mode="file",kind="file",method="GET",cache="HIT",status="200"\} 21\b/);
  assert.match(metrics, /cache_proxy_requests_total\{instance="files",mode="file",kind="file",method="HEAD",cache="HIT",status="200"\} 1\b/);
  await proxy.stop();
  await up.close();
});

test('a remembered FRESH answer ends with its freshness; the refreshed bytes are served after it', async () => {
  const up = await startFixtureServer();
  const v1 = randomBytes(2048), v2 = randomBytes(2048);
  up.set('/r.bin', { body: v1 });
  const proxy = await startProxy({ config: fileConfig({ upstreams: [up.url], file: '      default_policy: revalidate\n      fresh_for: 4s\n' }) });
  const X = `${proxy.url}/files`;
  await httpGet(`${X}/r.bin`);
  for (let i = 0; i < 5; i++) {
    const r = await httpGet(`${X}/r.bin`);
    assert.is(r.headers['x-cache'], 'FRESH');
    assert.ok(r.body.equals(v1));
  }
  up.set('/r.bin', { body: v2 });
  await sleep(4100); // freshness is long enough that a loaded machine answers the FRESH rounds inside it
  const refreshed = await httpGet(`${X}/r.bin`);
  assert.is(refreshed.headers['x-cache'], 'REFRESH');
  assert.ok(refreshed.body.equals(v2), 'new bytes after freshness ran out');
  const again = await httpGet(`${X}/r.bin`);
  assert.is(again.headers['x-cache'], 'FRESH');
  assert.ok(again.body.equals(v2), 'the remembered answer is the new entry, not the old one');
  assert.is(up.count('GET', '/r.bin'), 2);
  await proxy.stop();
  await up.close();
});

test('an entry removed behind a remembered answer (expiry cleanup) is a miss again', async () => {
  const up = await startFixtureServer();
  const body = randomBytes(1024);
  up.set('/e.bin', { body });
  const proxy = await startProxy({ config: fileConfig({ upstreams: [up.url], file: '      default_policy: immutable\n      rules: [{ match: "e.bin", expire_after: 4s }]\n' }) });
  const X = `${proxy.url}/files`;
  await httpGet(`${X}/e.bin`);
  assert.is((await httpGet(`${X}/e.bin`)).headers['x-cache'], 'HIT');
  assert.is((await httpGet(`${X}/e.bin`)).headers['x-cache'], 'HIT');
  await sleep(4100);
  const r = await httpGet(`${X}/e.bin`);
  assert.is(r.headers['x-cache'], 'MISS', 'expired: refetched, never the remembered answer');
  assert.is(up.count('GET', '/e.bin'), 2);
  await proxy.stop();
  await up.close();
});

test.after(cleanupAll);
test.run();
