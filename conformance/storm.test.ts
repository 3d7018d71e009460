// Acceptance: streaming single-flight under a storm, and crash safety under SIGKILL (engine §10.1, §10.5; issue #2).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, startProxy, httpGet, cleanupAll, fileConfig, openable } from './index.js';

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const config = (upstream: string) => fileConfig({ upstreams: [upstream], file: '      default_policy: immutable\n      busy_policy: join\n' });

/** polls `cond` every 100 ms; past `ms` fails with what `state()` says then */
async function until(cond: () => boolean, ms: number, state: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.unreachable(`after ${ms / 1000} s: ${state()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `clients` GETs of one cold object whose origin pauses half-way until the test lets it go on. A follower that
 * waited for the fill to end would have nothing while the origin is paused, so "every client has the first half"
 * proves streaming single-flight by order, not by speed. Speed against a lone transfer is `npm run bench -- engine-storm`.
 */
async function storm(clients: number, sizeMiB: number, rateMiB: number, label: string) {
  const up = await startFixtureServer();
  const data = randomBytes(sizeMiB * MiB);
  const half = data.length / 2;
  const slack = MiB; // the proxy may still hold the last chunk it read (buffers between its socket and the clients)
  const resume = openable();
  up.set('/big.bin', { body: data });
  up.fault('/big.bin', { rate: rateMiB * MiB, hold_at: half, gate: resume.promise });
  const proxy = await startProxy({ config: config(up.url) });
  const received = new Array<number>(clients).fill(0);
  const t0 = performance.now();
  const all = Promise.all(Array.from({ length: clients }, (_, i) => httpGet(`${proxy.url}/files/big.bin`, { discardBody: true, expect: data, onBytes: (n) => { received[i] = n; } })));
  await until(() => received.every((n) => n >= half - slack), 120_000, () => {
    const short = received.filter((n) => n < half - slack);
    return `origin paused at ${half} bytes; ${short.length} of ${clients} clients have less than ${half - slack} (least ${Math.min(...short)} bytes); upstream GETs ${up.count('GET', '/big.bin')}`;
  });
  const pausedMs = performance.now() - t0;
  assert.equal(received.filter((n) => n > half), [], 'while the origin is paused no client has more than the origin sent');
  assert.is(up.count('GET', '/big.bin'), 1, 'one upstream GET while the origin is paused');
  resume.open();
  const results = await all;
  const wall = performance.now() - t0;
  const identical = results.filter((r) => r.matches).length;
  const upstreamGets = up.count('GET', '/big.bin');
  console.log(`${label}: ${clients} clients × ${sizeMiB} MiB @ ${rateMiB} MiB/s, origin paused half-way — upstream GETs ${upstreamGets}, every client had the first half after ${pausedMs.toFixed(0)} ms, max first byte ${Math.max(...results.map((r) => r.firstByteMs)).toFixed(0)} ms, wall ${wall.toFixed(0)} ms (timings informative only)`);
  assert.is(upstreamGets, 1, 'exactly one upstream GET');
  for (const r of results) { assert.is(r.status, 200); assert.not.ok(r.aborted, `a client ended after ${r.size} of ${data.length} bytes`); }
  assert.is(identical, clients, 'every body equals the source byte for byte');
  return { up, proxy };
}

test('issue #2: 50 clients, cold 48 MiB, origin at 32 MiB/s → 1 GET, identical bytes, every client streams the first half (less 1 MiB) while the origin is paused', async () => {
  const r = await storm(50, 48, 32, 'storm-50');
  await r.proxy.stop();
});

test('§10.1: 100 clients, cold 50 MiB, origin at 20 MiB/s → 1 GET, identical bytes, every client streams the first half (less 1 MiB) while the origin is paused', async () => {
  const r = await storm(100, 50, 20, 'storm-100');
  await r.proxy.stop();
});

test('§10.5: SIGKILL with 10 objects stored and 10 mid-fill, restart with upstream down → the stored 10 served intact, nothing wrong ever served; upstream back → all 20 intact', async () => {
  const up = await startFixtureServer();
  const objects = Array.from({ length: 20 }, (_, i) => ({ path: `/obj/${i}.bin`, data: randomBytes((2 + (i % 5)) * MiB) }));
  const midFill = (i: number) => i >= 10;
  const never = openable(); // the origin of the mid-fill objects pauses half-way; the kill comes first
  for (const [i, o] of objects.entries()) { up.set(o.path, { body: o.data }); up.fault(o.path, { rate: 4 * MiB, ...(midFill(i) ? { hold_at: o.data.length / 2, gate: never.promise } : {}) }); }
  const proxy = await startProxy({ config: config(up.url) });
  const received = objects.map(() => 0);
  const inflight = objects.map((o, i) => httpGet(`${proxy.url}/files${o.path}`, { onBytes: (n) => { received[i] = n; } }).catch(() => null));
  await Promise.all(inflight.slice(0, 10));
  const stored = async () => (await Promise.all(objects.slice(0, 10).map((o) => httpGet(`${proxy.url}/files${o.path}`, { method: 'HEAD' })))).every((r) => r.headers['x-cache'] === 'HIT');
  const deadline = Date.now() + 120_000;
  while (!(await stored()) || received.slice(10).some((n) => n === 0)) {
    if (Date.now() > deadline) assert.unreachable(`before the kill: first 10 not all HIT, or a mid-fill client has no bytes yet (${received.slice(10).join(', ')})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.is(up.requests.filter((q) => q.method === 'GET').length, 20, 'one upstream GET per object');
  proxy.kill();
  await Promise.all(inflight);
  await up.stop();
  await proxy.restart();
  const tmp = readdirSync(join(proxy.backend, 'tmp'));
  assert.equal(tmp, [], 'tmp/ is empty after restart');
  // every blob hashes to its name
  const blobRoot = join(proxy.backend, 'blobs', 'sha256');
  if (existsSync(blobRoot)) for (const d of readdirSync(blobRoot)) for (const f of readdirSync(join(blobRoot, d))) assert.is(sha(readFileSync(join(blobRoot, d, f))), f);
  let servedIntact = 0, refused = 0;
  for (const o of objects) {
    const r = await httpGet(`${proxy.url}/files${o.path}`);
    if (r.status === 200 && !r.aborted) { assert.is(sha(r.body), sha(o.data), `${o.path} served with wrong bytes`); servedIntact++; }
    else { assert.ok(r.status >= 500 || r.aborted, `${o.path}: ${r.status}`); refused++; }
  }
  assert.is(servedIntact, 10, 'the 10 stored before the crash are served from cache');
  assert.is(refused, 10, 'the 10 mid-fill objects are not');
  const blobs = existsSync(blobRoot) ? readdirSync(blobRoot).flatMap((d) => readdirSync(join(blobRoot, d))).length : 0;
  console.log(`sigkill: killed with 10 stored and 10 mid-fill; after restart with the upstream down: tmp/ empty, ${blobs} blobs all hash to their names, ${servedIntact} served intact from cache, ${refused} answered 5xx, 0 wrong`);
  await up.start();
  up.clearFaults();
  for (const o of objects) {
    const r = await httpGet(`${proxy.url}/files${o.path}`);
    assert.is(r.status, 200);
    assert.is(sha(r.body), sha(o.data), `${o.path} intact`);
  }
  await proxy.stop();
});

test.after(cleanupAll);
test.run();
