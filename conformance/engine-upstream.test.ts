// Engine acceptance §10.13–17: failover, pass-through statuses, 429 cooldown, limits and queue, health, redirects.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startFixtureServer, startFileProxy, httpGet, cleanupAll, type FixtureServer, type ProxyHandle } from './index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(ups: FixtureServer[], o: { top?: string; file?: string } = {}): Promise<{ proxy: ProxyHandle; X: string }> {
  return startFileProxy({ upstreams: ups.map((u) => u.url), top: o.top, file: `      default_policy: bypass\n${o.file ?? ''}` });
}

test('§10.13 failover: 503 or refused on U1 → U2 serves; U1 404 → 404 and U2 untouched; last 403/410/401 pass; all 500 → 502 naming the status', async () => {
  const u1 = await startFixtureServer(), u2 = await startFixtureServer();
  const { proxy, X } = await setup([u1, u2], { file: '      transport: { health: { enabled: false } }\n' });
  u2.set('/a', { body: 'from u2' });
  u1.fault('/a', { status: 503 });
  const a = await httpGet(`${X}/a`);
  assert.is(a.status, 200); assert.is(a.body.toString(), 'from u2');
  u1.clearFaults();
  u1.fault('/b', { status: 404 }); u2.set('/b', { body: 'u2 has it' });
  const b = await httpGet(`${X}/b`);
  assert.is(b.status, 404);
  assert.is(u2.count('GET', '/b'), 0, 'U2 untouched after a 404');
  for (const st of [403, 410, 401]) {
    u1.fault(`/s${st}`, { status: 503 }); u2.fault(`/s${st}`, { status: st });
    assert.is((await httpGet(`${X}/s${st}`)).status, st);
  }
  u1.fault('/c', { status: 500 }); u2.fault('/c', { status: 500 });
  const c = await httpGet(`${X}/c`);
  assert.is(c.status, 502);
  assert.match(c.body.toString(), /answered 500/);
  await u1.stop();
  u2.set('/d', { body: 'd' });
  assert.is((await httpGet(`${X}/d`)).status, 200, 'refused connection → next upstream');
  await proxy.stop();
});

test('§10.14 429 Retry-After: 2 on U1 → U1 gets nothing for 2 s while U2 serves, then is used again; single upstream → 503 with Retry-After', async () => {
  const u1 = await startFixtureServer(), u2 = await startFixtureServer();
  const { proxy, X } = await setup([u1, u2]);
  u1.set('/x', { body: 'u1' }); u2.set('/x', { body: 'u2' });
  u1.fault('/x', { status: 429, retry_after: 2, once: true });
  assert.is((await httpGet(`${X}/x`)).body.toString(), 'u2');
  const seen = u1.requests.length;
  for (let i = 0; i < 5; i++) assert.is((await httpGet(`${X}/x`)).body.toString(), 'u2');
  assert.is(u1.requests.length, seen, 'U1 gets nothing during its cooldown');
  await sleep(2100);
  assert.is((await httpGet(`${X}/x`)).body.toString(), 'u1', 'U1 used again after the cooldown');
  await proxy.stop();
  const s = await startFixtureServer();
  const one = await setup([s], { top: 'storage: { download: { queue_wait: 1s } }' });
  s.fault('/y', { status: 429, retry_after: 30 });
  const first = await httpGet(`${one.X}/y`);
  assert.is(first.status, 429);
  const second = await httpGet(`${one.X}/y`);
  assert.is(second.status, 503);
  assert.ok(Number(second.headers['retry-after']) >= 1);
  assert.is(s.count('GET', '/y'), 1, 'no request during the cooldown');
  await one.proxy.stop();
});

test('§10.15 max_active_per_host 2: never more than 2 concurrent, all succeed; queue_wait 1s with 5 s answers → 503 not 502; request_interval_per_host 300ms spaces upstream arrivals', async () => {
  const u = await startFixtureServer();
  const { proxy, X } = await setup([u], { top: 'storage: { download: { max_active_per_host: 2 } }' });
  for (let i = 0; i < 10; i++) u.set(`/o${i}`, { body: `o${i}` });
  u.fault('/o*', { delay_ms: 300 });
  const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => httpGet(`${X}/o${i}`)));
  assert.equal(rs.map((r) => r.status), Array(10).fill(200));
  assert.ok(u.maxInFlight <= 2, `the upstream saw ${u.maxInFlight} requests at once; max_active_per_host is 2`);
  await proxy.stop();

  const v = await startFixtureServer();
  const q = await setup([v], { top: 'storage: { download: { max_active_per_host: 1, queue_wait: 1s } }' });
  for (let i = 0; i < 3; i++) v.set(`/p${i}`, { body: 'p' });
  v.fault('/p*', { delay_ms: 5000 });
  const late = await Promise.all(Array.from({ length: 3 }, (_, i) => httpGet(`${q.X}/p${i}`)));
  const statuses = late.map((r) => r.status).sort();
  assert.ok(statuses.filter((x) => x === 503).length >= 2, `statuses ${statuses}: the two queued past queue_wait must be 503`);
  assert.not.ok(statuses.includes(502), `statuses ${statuses}: no 502`);
  await q.proxy.stop();

  const w = await startFixtureServer();
  const GAP = 300;
  const p = await setup([w], { top: `storage: { download: { request_interval_per_host: ${GAP}ms } }` });
  for (let i = 0; i < 5; i++) w.set(`/r${i}`, { body: 'r' });
  const fired = Date.now();
  const paced = await Promise.all(Array.from({ length: 5 }, (_, i) => httpGet(`${p.X}/r${i}`)));
  assert.equal(paced.map((r) => r.status), [200, 200, 200, 200, 200]);
  const arrivals = w.requests.map((r) => r.at - fired).sort((a, b) => a - b);
  assert.is(arrivals.length, 5, 'one upstream request each');
  // The proxy starts the k-th request no sooner than k × GAP after the first, which starts after `fired`; an arrival is
  // stamped after its start, and load only adds delay. So the k-th arrival is ≥ k × GAP after `fired`, whatever the
  // load (less a few ms of timer rounding). Gaps between arrivals are not bounded so: two requests delivered with
  // different delays arrive closer together than they started. Unpaced, all five arrive within a few ms of `fired`.
  const early = arrivals.map((t, k) => ({ k, t })).filter(({ k, t }) => t < k * GAP - 5);
  assert.equal(early, [], `upstream arrivals at +${arrivals.join(', +')} ms after the requests were sent: the k-th must be ≥ k × ${GAP} ms (request_interval_per_host ${GAP}ms)`);
  await p.proxy.stop();
});

test('§10.16 U1 fails 5 times → health gauge 2 and no further attempts; after canary_cooldown one trial; success closes the circuit', async () => {
  const u1 = await startFixtureServer(), u2 = await startFixtureServer();
  const { proxy, X } = await setup([u1, u2], { file: '      transport: { health: { canary_cooldown: 2s } }\n' });
  for (let i = 0; i < 12; i++) { u1.set(`/h${i}`, { body: 'u1' }); u2.set(`/h${i}`, { body: 'u2' }); }
  u1.fault('/h*', { status: 500 });
  for (let i = 0; i < 5; i++) assert.is((await httpGet(`${X}/h${i}`)).status, 200);
  const metrics = (await httpGet(`${proxy.url}/metrics`)).body.toString();
  assert.match(metrics, new RegExp(`cache_proxy_upstream_health\\{instance="files",upstream="127.0.0.1:${u1.port}"\\} 2`));
  const before = u1.requests.length;
  for (let i = 5; i < 8; i++) await httpGet(`${X}/h${i}`);
  assert.is(u1.requests.length, before, 'no attempts on an open circuit');
  u1.clearFaults();
  await sleep(2100);
  await httpGet(`${X}/h8`);
  assert.is(u1.requests.length, before + 1, 'one trial request after the cooldown');
  for (let i = 9; i < 12; i++) await httpGet(`${X}/h${i}`);
  const m2 = (await httpGet(`${proxy.url}/metrics`)).body.toString();
  assert.match(m2, new RegExp(`cache_proxy_upstream_health\\{instance="files",upstream="127.0.0.1:${u1.port}"\\} 0`));
  await proxy.stop();
});

test('§10.17 redirect to an unlisted host or 127.0.0.2 → 502 and that server gets nothing; to an allowed origin works without Authorization', async () => {
  const u = await startFixtureServer(), other = await startFixtureServer(), allowed = await startFixtureServer();
  const { proxy, X } = await setup([u], { file: `      auth: { type: bearer, token: upstream-secret }\n      transport: { allow_hosts: ["${allowed.url}"] }\n` });
  u.fault('/r1', { status: 302, location: `${other.url}/x` });
  const r1 = await httpGet(`${X}/r1`);
  assert.is(r1.status, 502);
  assert.is(other.requests.length, 0);
  u.fault('/r2', { status: 302, location: `http://127.0.0.2:${other.port}/x` });
  assert.is((await httpGet(`${X}/r2`)).status, 502);
  assert.is(other.requests.length, 0);
  allowed.set('/ok', { body: 'allowed' });
  u.fault('/r3', { status: 302, location: `${allowed.url}/ok` });
  const r3 = await httpGet(`${X}/r3`);
  assert.is(r3.status, 200);
  assert.is(r3.body.toString(), 'allowed');
  assert.is(allowed.requests[0]!.headers.authorization, undefined, 'no Authorization after a cross-origin hop');
  assert.is(u.requests.find((q) => q.path === '/r3')!.headers.authorization, 'Bearer upstream-secret');
  await proxy.stop();
});

test.after(cleanupAll);
test.run();
