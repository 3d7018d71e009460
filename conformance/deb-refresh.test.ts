// deb background refresh with the real apt-get (linux-repos spec §11: L3 offline, L4 torn mirror, L5 one
// upstream per generation, L7 previous generation's by-hash, failover to the second mirror).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { watchRoot } from './harness/root-status.js';
import { aptOk as ok } from './harness/apt.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  startFixtureServer, httpGet, cleanupAll, aptClient, buildDebFixture, startDebProxy, debSources, sha256, pinnedSha256, servedGeneration, waitFor,
  type FixtureServer, type ProxyHandle, type DebFixture,
} from './index.js';

let fx: DebFixture, u: FixtureServer, proxy: ProxyHandle, url: string;
const PKGS = 'dists/bookworm/main/binary-amd64';
const file = (tree: 'v1' | 'v2' | 'v3' | 'v4' | 'torn', p: string) => readFileSync(join(fx.tree(tree), p));
const REFRESH = '      refresh_interval: 2s\n';

test.before(async () => {
  fx = buildDebFixture({ dataMiB: 2 });
  u = await startFixtureServer({ root: fx.tree('v1') });
  ({ proxy, url } = await startDebProxy([u.url], REFRESH));
});
test.after(cleanupAll);

const { status: rootStatus, refreshedAfter } = watchRoot('deb_distribution:dists/bookworm');
const candidate = async (c: ReturnType<typeof aptClient>) => /Candidate: (\S+)/.exec((await c.policy('cp-hello')).out)?.[1];

/** the served primary and the served listed files agree (by-hash and by path) */
/** the hashed name InRelease pins answers its bytes; so does the plain name, unless a publish came between the two */
async function consistent(): Promise<boolean> {
  for (let straddled = 0; straddled < 5; straddled++) {
    const inr = await httpGet(`${url}/dists/bookworm/InRelease`);
    const pin = pinnedSha256(inr.body.toString(), 'main/binary-amd64/Packages.xz');
    const byHash = await httpGet(`${url}/${PKGS}/by-hash/SHA256/${pin}`);
    const byPath = await httpGet(`${url}/${PKGS}/Packages.xz`);
    if (byHash.status !== 200 || byHash.sha256 !== pin) return false;
    if (byPath.headers['x-cache-generation'] === inr.headers['x-cache-generation']) return byPath.sha256 === pin;
  }
  return false;
}

test('cold: update + download through a proxy refreshing every 2 s', async () => {
  const c = aptClient(debSources(url, fx.key));
  ok(await c.update(), 'apt-get update');
  ok(await c.install(['cp-hello', 'cp-data']), 'apt-get install --download-only');
  assert.equal(c.debs(), ['cp-data_1.0_all.deb', 'cp-hello_1.0_all.deb']);
  assert.is(await servedGeneration(url), 1);
});

test('L3 upstream stopped after a refresh: update + download succeed, refresh failures visible, generation unchanged', async () => {
  const t0 = Date.now();
  await waitFor('an unchanged refresh', refreshedAfter(proxy, t0, 'unchanged'), 120_000);
  await u.stop();
  const t1 = Date.now();
  const c = aptClient(debSources(url, fx.key));
  ok(await c.update(), 'apt-get update (upstream down)');
  ok(await c.install(['cp-hello', 'cp-data']), 'apt-get install (upstream down)');
  assert.equal(c.debs(), ['cp-data_1.0_all.deb', 'cp-hello_1.0_all.deb']);
  await waitFor('a failed refresh', refreshedAfter(proxy, t1, 'failed'), 120_000);
  const events = JSON.parse((await httpGet(`${proxy.url}/-/status/events`)).body.toString()) as { events: { task_type?: string; result: string; message?: string }[] };
  assert.ok(events.events.some((e) => e.task_type === 'metadata_refresh' && e.result === 'failed' && /keeps serving/.test(e.message ?? '')));
  assert.is(await servedGeneration(url), 1);
  const metrics = (await httpGet(`${proxy.url}/metrics`)).body.toString();
  for (const result of ['unchanged', 'failed']) assert.match(metrics, new RegExp(`cache_proxy_metadata_refresh_total\\{instance="debian",result="${result}"\\} [1-9]`));
  assert.match(metrics, /cache_proxy_metadata_refresh_duration_seconds_count\{instance="debian"\} [1-9]/);
});

test('L4 torn mirror: generation n kept and never a mixed set; after the upstream completes, n+1 and cp-hello 2.0', async () => {
  u.setRoot(fx.tree('torn'));
  await u.start();
  const t0 = Date.now();
  // 20 samples across the switch: every digest the served primary pins matches the served file
  for (let i = 0; i < 10; i++) { assert.ok(await consistent(), `sample ${i}`); await new Promise((r) => setTimeout(r, 300)); }
  await waitFor('a failed (torn) refresh', refreshedAfter(proxy, t0, 'failed'), 120_000);
  assert.match((await rootStatus(proxy))!.error ?? '', /Packages\.xz/, 'the build failed on the listed file the torn mirror lacks');
  assert.is(await servedGeneration(url), 1);
  const c = aptClient(debSources(url, fx.key));
  ok(await c.update(), 'apt-get update (torn upstream)');
  assert.is(await candidate(c), '1.0');
  const v1Pin = pinnedSha256(file('v1', 'dists/bookworm/InRelease').toString(), 'main/binary-amd64/Packages.xz');
  u.setRoot(fx.tree('v2'));
  for (let i = 0; i < 10; i++) { assert.ok(await consistent(), `sample ${10 + i}`); if (await servedGeneration(url) === 2) break; await new Promise((r) => setTimeout(r, 300)); }
  await waitFor('generation 2', async () => (await servedGeneration(url)) === 2, 120_000);
  assert.ok(await consistent());
  const d = aptClient(debSources(url, fx.key));
  ok(await d.update(), 'apt-get update (generation 2)');
  assert.is(await candidate(d), '2.0');
  ok(await d.install(['cp-hello']), 'apt-get install cp-hello 2.0');
  assert.ok(readFileSync(join(d.archives, 'cp-hello_2.0_all.deb')).equals(file('v2', 'pool/main/c/cp-hello/cp-hello_2.0_all.deb')));
  // L7: the previous generation's hashed name still answers while it is retained
  const old = await httpGet(`${url}/${PKGS}/by-hash/SHA256/${v1Pin}`);
  assert.is(old.status, 200);
  assert.ok(old.body.equals(file('v1', `${PKGS}/Packages.xz`)));
  assert.is(old.headers['x-cache-generation'], '1');
});

test('L5 one upstream per generation: [A torn, B complete] → generation 2 comes wholly from B; first mirror down → second used', async () => {
  const a = await startFixtureServer({ root: fx.tree('v1') });
  const b = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startDebProxy([a.url, b.url], REFRESH);
  const c = aptClient(debSources(p.url, fx.key, ['bookworm']));
  ok(await c.update(), 'apt-get update');
  assert.is(b.requests.length, 0);
  a.setRoot(fx.tree('torn'));
  b.setRoot(fx.tree('v2'));
  await waitFor('generation 2', async () => (await servedGeneration(p.url)) === 2, 120_000);
  // a root's manifests are a state document of the instance (state/<instance>/gen-<root>.json)
  const stateDir = join(p.proxy.backend, 'state', 'debian');
  const doc = readdirSync(stateDir).find((d) => d.startsWith('gen-') && d.includes('dists-bookworm-') && !d.includes('updates'))!;
  type Manifest = { n: number; upstream: string; files: Record<string, { sha256: string }>; primary: Record<string, { sha256: string }> };
  const manifest = (JSON.parse(readFileSync(join(stateDir, doc), 'utf8')) as { manifests: Manifest[] }).manifests.find((m) => m.n === 2)!;
  assert.is(manifest.upstream, b.url);
  assert.is(manifest.primary.InRelease!.sha256, sha256(file('v2', 'dists/bookworm/InRelease')));
  assert.is(manifest.files['main/binary-amd64/Packages.xz']!.sha256, sha256(file('v2', `${PKGS}/Packages.xz`)));
  const d = aptClient(debSources(p.url, fx.key, ['bookworm']));
  ok(await d.update(), 'apt-get update (generation 2 from B)');
  assert.is(await candidate(d), '2.0');
  await p.proxy.stop();

  // a cold start while the first mirror is down: the second one serves everything
  const down = await startFixtureServer({ root: fx.tree('v1') });
  await down.stop();
  const q = await startDebProxy([down.url, b.url]);
  const before = b.requests.length;
  const e = aptClient(debSources(q.url, fx.key, ['bookworm']));
  ok(await e.update(), 'apt-get update (first mirror down)');
  ok(await e.install(['cp-hello']), 'apt-get install (first mirror down)');
  assert.equal(e.debs(), ['cp-hello_2.0_all.deb']);
  assert.ok(b.requests.length > before);
  assert.is(down.requests.length, 0);
});

test('L6 shared pool: one upstream GET for two suites; cleanup keeps listed artifacts and deletes those no generation lists', async () => {
  const up = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startDebProxy([up.url], `${REFRESH}      generation_keep: 1\n      cleanup_interval: 1s\n      artifact_expire_after: 1s\n`);
  const viaMain = aptClient(debSources(p.url, fx.key, ['bookworm']));
  ok(await viaMain.update(), 'apt-get update (bookworm)');
  ok(await viaMain.install(['cp-data', 'cp-hello']), 'install cp-data via bookworm');
  const viaUpdates = aptClient(debSources(p.url, fx.key, ['bookworm-updates']));
  ok(await viaUpdates.update(), 'apt-get update (bookworm-updates)');
  ok(await viaUpdates.install(['cp-data']), 'install cp-data via bookworm-updates');
  const data = '/pool/main/c/cp-data/cp-data_1.0_all.deb', hello = '/pool/main/c/cp-hello/cp-hello_1.0_all.deb';
  assert.is(up.count('GET', data), 1, 'the pool file is shared by both suites');
  // still listed by both: several cleanup runs later (artifact_expire_after 1 s) both artifacts are kept
  await new Promise((r) => setTimeout(r, 3000));
  assert.is((await httpGet(`${p.url}${data}`, { method: 'HEAD' })).headers['x-cache'], 'HIT');
  // the upstream drops cp-data from every suite: once both roots publish and cleanup runs, it is deleted
  up.setRoot(fx.tree('v3'));
  await waitFor('generation 2 of both suites', async () => (await servedGeneration(p.url)) === 2 && (await servedGeneration(p.url, 'bookworm-updates')) === 2, 120_000);
  await waitFor('cp-data deleted by cleanup', async () => !readdirSync(join(p.proxy.backend, 'entries', 'debian'), { recursive: true }).some((n) => String(n).endsWith('.json') && readFileSync(join(p.proxy.backend, 'entries', 'debian', String(n)), 'utf8').includes('cp-data_1.0')), 120_000);
  const h = await httpGet(`${p.url}${hello}`);
  assert.is(h.headers['x-cache'], 'HIT', 'a listed artifact never ages out');
  assert.is(up.count('GET', hello), 1);
});

test('L8 rebuilt name: the upstream replaces cp-data under the same file name; after the refresh apt gets the new bytes', async () => {
  const up = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startDebProxy([up.url], REFRESH);
  const data = 'pool/main/c/cp-data/cp-data_1.0_all.deb';
  const before = aptClient(debSources(p.url, fx.key, ['bookworm']));
  ok(await before.update(), 'apt-get update');
  ok(await before.install(['cp-data']), 'install cp-data');
  assert.ok(readFileSync(join(before.archives, 'cp-data_1.0_all.deb')).equals(file('v1', data)));
  up.setRoot(fx.tree('v4'));
  await waitFor('generation 2', async () => (await servedGeneration(p.url)) === 2, 120_000);
  const after = aptClient(debSources(p.url, fx.key, ['bookworm']));
  ok(await after.update(), 'apt-get update (rebuilt)');
  ok(await after.install(['cp-data']), 'install the rebuilt cp-data');
  assert.ok(readFileSync(join(after.archives, 'cp-data_1.0_all.deb')).equals(file('v4', data)), 'the stored copy the index no longer lists is not served');
  assert.is(up.count('GET', `/${data}`), 2);
  assert.is((await httpGet(`${p.url}/${data}`)).sha256, sha256(file('v4', data)));
  assert.is(up.count('GET', `/${data}`), 2, 'the replacement is cached');
});

test('L11 storm: 20 parallel downloads of a cold package from a throttled upstream → 1 upstream GET, all bodies right', async () => {
  const up = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startDebProxy([up.url]);
  const c = aptClient(debSources(p.url, fx.key, ['bookworm']));
  ok(await c.update(), 'apt-get update');
  const data = '/pool/main/c/cp-data/cp-data_1.0_all.deb';
  up.fault(data, { rate: 4 * 1024 * 1024 });
  const want = file('v1', data.slice(1));
  const rs = await Promise.all(Array.from({ length: 20 }, () => httpGet(`${p.url}${data}`, { discardBody: true, expect: want })));
  assert.is(rs.filter((r) => r.status === 200 && r.matches).length, 20);
  assert.is(up.count('GET', data), 1);
});

test.run();
