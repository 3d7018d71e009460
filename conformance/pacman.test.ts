// pacman mode with the real pacman (linux-repos spec §11: L1 cold, L2 warm, L3 offline, L4 truncated
// database, L9 corrupt package, L8 rebuilt name, L10 restart, L11 storm, L13 churn; the `.files` database of `pacman -F`
// in the generation of its `.db`) against a fixture upstream of a tree made by bsdtar, zstd and repo-add.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { watchRoot } from './harness/root-status.js';
import { ok } from './harness/client-run.js';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, httpGet, cleanupAll, upstreamCount, waitFor, type FixtureServer, type ProxyHandle } from './index.js';
import { buildPacmanFixture, startPacmanProxy, pacmanClient, servedDbGeneration, PACMAN_REPO_DIR, type PacmanFixture, type PacmanTree } from './harness/pacman.js';
import { metricValue } from './harness/single-instance.js';

let fx: PacmanFixture, a: FixtureServer, proxy: ProxyHandle, url: string;
const file = (tree: PacmanTree, name: string) => readFileSync(join(fx.tree(tree), PACMAN_REPO_DIR, name));
const HELLO1 = 'cp-hello-1.0-1-any.pkg.tar.zst', HELLO2 = 'cp-hello-2.0-1-any.pkg.tar.zst', DATA = 'cp-data-1.0-1-any.pkg.tar.zst';
const up = (name: string) => `/${PACMAN_REPO_DIR}/${name}`;

test.before(async () => {
  fx = buildPacmanFixture();
  a = await startFixtureServer({ root: fx.tree('v1') });
  ({ proxy, url } = await startPacmanProxy([a.url]));
});
test.after(cleanupAll);


const { status: rootStatus, refreshedAfter } = watchRoot(`pacman:${PACMAN_REPO_DIR}/fixture.db`);

test('L1 cold: pacman -Sy + -Sw of cp-hello and cp-data; the database and each package fetched from upstream once', async () => {
  const c = pacmanClient(url);
  ok(await c.sync(), 'pacman -Sy');
  ok(await c.download(['cp-hello', 'cp-data']), 'pacman -Sw');
  assert.equal(c.packages(), [DATA, HELLO1]);
  for (const n of [DATA, HELLO1]) assert.ok(readFileSync(join(c.cache, n)).equals(file('v1', n)), n);
  assert.is(a.count('GET', up('fixture.db')), 1);
  assert.is(a.count('GET', up(DATA)), 1);
  assert.is(a.count('GET', up(HELLO1)), 1);
  assert.is(await servedDbGeneration(url), 1);
});

test('L2 warm: fresh pacman state, same commands → 0 upstream requests', async () => {
  const before = upstreamCount(a);
  const c = pacmanClient(url);
  ok(await c.sync(), 'pacman -Sy');
  ok(await c.download(['cp-hello', 'cp-data']), 'pacman -Sw');
  assert.equal(c.packages(), [DATA, HELLO1]);
  assert.is(upstreamCount(a), before, `upstream saw: ${a.requests.slice(before).map((r) => r.path).join(', ')}`);
});

test('files database: pacman -Fy gets fixture.files, which joins generation 1 of fixture.db; pacman -F finds cp-hello; a fresh -Fy → 0 upstream requests', async () => {
  const before = a.count('GET', up('fixture.files'));
  const c = pacmanClient(url);
  ok(await c.syncFiles(), 'pacman -Fy');
  assert.ok(c.synced('fixture.files').equals(file('v1', 'fixture.files')), "pacman's fixture.files is repo-add's, byte for byte");
  const owner = await c.owner('usr/share/cp-hello/version');
  ok(owner, 'pacman -F');
  assert.match(owner.out, /cp-hello 1\.0-1/);
  assert.is(a.count('GET', up('fixture.files')), before + 1);
  assert.is((await httpGet(`${url}${up('fixture.files')}`, { method: 'HEAD' })).headers['x-cache-generation'], '1');
  const n = upstreamCount(a);
  const warm = pacmanClient(url);
  ok(await warm.syncFiles(), 'pacman -Fy (warm)');
  assert.ok(warm.synced('fixture.files').equals(file('v1', 'fixture.files')));
  assert.is(upstreamCount(a), n, `upstream saw: ${a.requests.slice(n).map((r) => r.path).join(', ')}`);
});

test('files database published with its .db: a torn fixture.files keeps generation 1 whole; the completed upstream publishes both in generation 2', async () => {
  const u = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startPacmanProxy([u.url], '      refresh_interval: 2s\n');
  const first = pacmanClient(p.url);
  ok(await first.sync(), 'pacman -Sy');
  ok(await first.syncFiles(), 'pacman -Fy');
  u.setRoot(fx.tree('tornfiles'));
  const t = Date.now();
  await waitFor('a failed (torn .files) refresh', refreshedAfter(p.proxy, t, 'failed'), 60_000);
  assert.match((await rootStatus(p.proxy))!.error ?? '', /fixture\.files does not read to its end/);
  assert.is(await servedDbGeneration(p.url), 1);
  const torn = pacmanClient(p.url);
  ok(await torn.sync(), 'pacman -Sy (torn .files upstream)');
  ok(await torn.syncFiles(), 'pacman -Fy (torn .files upstream)');
  assert.ok(torn.synced('fixture.db').equals(file('v1', 'fixture.db')), 'the .db stays v1 with its .files');
  assert.ok(torn.synced('fixture.files').equals(file('v1', 'fixture.files')));
  u.setRoot(fx.tree('v2'));
  await waitFor('generation 2', async () => (await servedDbGeneration(p.url)) === 2, 60_000);
  const fetched = u.count('GET', up('fixture.files'));
  const next = pacmanClient(p.url);
  ok(await next.sync(), 'pacman -Sy (v2)');
  ok(await next.syncFiles(), 'pacman -Fy (v2)');
  assert.ok(next.synced('fixture.db').equals(file('v2', 'fixture.db')));
  assert.ok(next.synced('fixture.files').equals(file('v2', 'fixture.files')));
  assert.match((await next.owner('usr/share/cp-hello/version')).out, /cp-hello 2\.0-1/);
  assert.is(u.count('GET', up('fixture.files')), fetched, 'the .files came with generation 2, not on the client request');
  assert.is((await httpGet(`${p.url}${up('fixture.files')}`, { method: 'HEAD' })).headers['x-cache-generation'], '2');
  await p.proxy.stop(); await u.close();
});

test('L9 corrupt package: pacman fails, the proxy answers 502, nothing stored, verify failure counted', async () => {
  const bad = await startFixtureServer({ root: fx.tree('corrupt') });
  const p = await startPacmanProxy([bad.url]);
  const failures = await metricValue(p.proxy.url, 'cache_proxy_verify_failures_total', { instance: 'pacman', kind: 'artifact' });
  const c = pacmanClient(p.url);
  ok(await c.sync(), 'pacman -Sy');
  const r = await c.download(['cp-hello']);
  assert.is.not(r.code, 0, `download of a corrupt package must fail:\n${r.out}`);
  assert.equal(c.packages(), []);
  assert.ok(await metricValue(p.proxy.url, 'cache_proxy_verify_failures_total', { instance: 'pacman', kind: 'artifact' }) > failures);
  const again = await httpGet(`${p.url}${up(HELLO1)}`);
  assert.is(again.status, 502);
  const entries = join(p.proxy.backend, 'entries', 'pacman');
  const stored = (existsSync(entries) ? readdirSync(entries, { recursive: true }) : []).map(String).filter((n) => n.endsWith('.json'))
    .map((n) => readFileSync(join(entries, n), 'utf8')).filter((t) => t.includes('cp-hello'));
  assert.is(stored.length, 0, 'nothing stored for the corrupt package');
  await p.proxy.stop(); await bad.close();
});

test('L3 offline and L4 truncated database: generation n kept; after the upstream completes, n+1 and cp-hello 2.0', async () => {
  const u = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startPacmanProxy([u.url], '      refresh_interval: 2s\n');
  const cold = pacmanClient(p.url);
  ok(await cold.sync(), 'pacman -Sy (cold)');
  ok(await cold.download(['cp-hello']), 'pacman -Sw (cold)');
  await waitFor('an unchanged refresh', refreshedAfter(p.proxy, Date.now(), 'unchanged'), 60_000);
  // L3: upstream stopped
  await u.stop();
  const t1 = Date.now();
  const off = pacmanClient(p.url);
  ok(await off.sync(), 'pacman -Sy (upstream down)');
  ok(await off.download(['cp-hello']), 'pacman -Sw (upstream down)');
  assert.equal(off.packages(), [HELLO1]);
  await waitFor('a failed refresh', refreshedAfter(p.proxy, t1, 'failed'), 60_000);
  assert.is(await servedDbGeneration(p.url), 1);
  // L4: the upstream comes back with a database cut short
  u.setRoot(fx.tree('torn'));
  await u.start();
  const t2 = Date.now();
  await waitFor('a failed (torn) refresh', refreshedAfter(p.proxy, t2, 'failed'), 60_000);
  assert.match((await rootStatus(p.proxy))!.error ?? '', /truncated or corrupt/);
  assert.ok(u.count('GET', up('fixture.db')) >= 1, 'the torn database was fetched');
  assert.is(await servedDbGeneration(p.url), 1);
  assert.ok((await httpGet(`${p.url}${up('fixture.db')}`)).body.equals(file('v1', 'fixture.db')), 'the served database is still v1, byte for byte');
  const torn = pacmanClient(p.url);
  ok(await torn.sync(), 'pacman -Sy (torn upstream)');
  ok(await torn.download(['cp-hello']), 'pacman -Sw (torn upstream)');
  assert.equal(torn.packages(), [HELLO1]);
  // the upstream completes: the next generation is published
  u.setRoot(fx.tree('v2'));
  await waitFor('generation 2', async () => (await servedDbGeneration(p.url)) === 2, 60_000);
  const next = pacmanClient(p.url);
  ok(await next.sync(), 'pacman -Sy (v2)');
  ok(await next.download(['cp-hello']), 'pacman -Sw (v2)');
  assert.equal(next.packages(), [HELLO2]);
  assert.ok(readFileSync(join(next.cache, HELLO2)).equals(file('v2', HELLO2)));
  await p.proxy.stop(); await u.close();
});

test('L13 churn: the database changes 5 times (an unrelated package comes and goes); cp-hello fetched from upstream once', async () => {
  const u = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startPacmanProxy([u.url], '      refresh_interval: 2s\n');
  const first = pacmanClient(p.url);
  ok(await first.sync(), 'pacman -Sy');
  ok(await first.download(['cp-hello']), 'pacman -Sw');
  for (let n = 2; n <= 6; n++) {
    u.setRoot(fx.tree(n % 2 === 0 ? 'extra' : 'v1'));
    await waitFor(`generation ${n}`, async () => (await servedDbGeneration(p.url)) === n, 60_000);
    const c = pacmanClient(p.url);
    ok(await c.sync(), `pacman -Sy (generation ${n})`);
    ok(await c.download(['cp-hello']), `pacman -Sw (generation ${n})`);
    assert.ok(readFileSync(join(c.cache, HELLO1)).equals(file('v1', HELLO1)));
  }
  assert.is(u.count('GET', up(HELLO1)), 1, 'a publish costs no package download');
  assert.ok(u.count('GET', up('fixture.db')) >= 6);
  await p.proxy.stop(); await u.close();
});

test('L8 rebuilt name: the upstream replaces cp-data under the same name with a new database; after the refresh pacman gets the new bytes', async () => {
  const u = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startPacmanProxy([u.url], '      refresh_interval: 2s\n');
  const c1 = pacmanClient(p.url);
  ok(await c1.sync(), 'pacman -Sy');
  ok(await c1.download(['cp-data']), 'pacman -Sw');
  assert.ok(readFileSync(join(c1.cache, DATA)).equals(file('v1', DATA)));
  assert.not.ok(file('rebuilt', DATA).equals(file('v1', DATA)));
  u.setRoot(fx.tree('rebuilt'));
  await waitFor('generation 2', async () => (await servedDbGeneration(p.url)) === 2, 60_000);
  const c2 = pacmanClient(p.url);
  ok(await c2.sync(), 'pacman -Sy (rebuilt)');
  ok(await c2.download(['cp-data']), 'pacman -Sw (rebuilt)');
  assert.ok(readFileSync(join(c2.cache, DATA)).equals(file('rebuilt', DATA)));
  assert.is(u.count('GET', up(DATA)), 2);
  await p.proxy.stop(); await u.close();
});

test('L11 storm: 20 parallel downloads of a cold package from a throttled upstream → 1 upstream GET, all bodies right', async () => {
  const u = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startPacmanProxy([u.url]);
  ok(await pacmanClient(p.url).sync(), 'pacman -Sy');
  u.fault(up(DATA), { rate: 4 * 1024 * 1024 });
  const want = file('v1', DATA);
  const rs = await Promise.all(Array.from({ length: 20 }, () => httpGet(`${p.url}${up(DATA)}`, { discardBody: true, expect: want })));
  assert.is(rs.filter((r) => r.status === 200 && r.matches).length, 20);
  assert.is(u.count('GET', up(DATA)), 1);
  await p.proxy.stop(); await u.close();
});

test('L10 restart with the upstream stopped: the database root and its generation restored, pacman still succeeds', async () => {
  await a.stop();
  await proxy.restart();
  const c = pacmanClient(url);
  ok(await c.sync(), 'pacman -Sy after restart');
  ok(await c.download(['cp-hello', 'cp-data']), 'pacman -Sw after restart');
  assert.equal(c.packages(), [DATA, HELLO1]);
  assert.is(await servedDbGeneration(url), 1);
  assert.is((await rootStatus(proxy))?.generation, 1);
  const root = `pacman:${PACMAN_REPO_DIR}/fixture.db`;
  assert.ok((await httpGet(`${proxy.url}/`)).body.toString().includes(root), `home page lists ${root}`);
});

test.run();
