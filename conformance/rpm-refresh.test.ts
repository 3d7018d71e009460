// rpm background refresh with the real dnf (linux-repos spec §11: L3 refresh failures visible while the
// upstream is down, L4 torn mirror, L5 one upstream per generation, L8 rebuilt name, L11 storm).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { watchRoot } from './harness/root-status.js';
import { ok } from './harness/client-run.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, httpGet, cleanupAll, sha256, waitFor, type FixtureServer, type ProxyHandle } from './index.js';
import { buildRpmFixture, startRpmProxy, dnfClient, rpmClientMissing, type RpmFixture } from './harness/rpm.js';

const missing = rpmClientMissing('dnf');
let fx: RpmFixture, u: FixtureServer, proxy: ProxyHandle, url: string;
const file = (tree: 'v1' | 'v2' | 'rebuilt', p: string) => readFileSync(join(fx.tree(tree), p));
const REFRESH = '      refresh_interval: 2s\n';
const HELLO1 = 'cp-hello-1.0-1.noarch.rpm', HELLO2 = 'cp-hello-2.0-1.noarch.rpm', DATA = 'cp-data-1.0-1.noarch.rpm';

test.before(async () => {
  if (missing) return;
  fx = buildRpmFixture({ dataMiB: 1 });
  u = await startFixtureServer({ root: fx.tree('v1') });
  ({ proxy, url } = await startRpmProxy([u.url], REFRESH));
});
test.after(cleanupAll);

const t = (name: string, fn: () => Promise<void>) => test(name, async () => { if (missing) { console.log(`skipped: ${missing}`); return; } await fn(); });
const { status: rootStatus, refreshedAfter } = watchRoot('rpm:');
const served = async (base: string) => Number((await httpGet(`${base}/repodata/repomd.xml`, { method: 'HEAD' })).headers['x-cache-generation'] ?? 0);

/** every file the served repomd.xml pins is served with that size and sha256 */
async function consistent(base: string): Promise<boolean> {
  const repomd = (await httpGet(`${base}/repodata/repomd.xml`)).body.toString();
  const pins = [...repomd.matchAll(/<checksum type="sha256">([0-9a-f]{64})<\/checksum>[\s\S]*?<location href="([^"]+)"/g)];
  if (pins.length < 6) return false;
  for (const [, hex, href] of pins) { const r = await httpGet(`${base}/${href}`); if (r.status !== 200 || sha256(r.body) !== hex) return false; }
  return true;
}

t('L3 upstream stopped after a refresh: dnf succeeds, refresh failures visible, generation unchanged', async () => {
  const c = dnfClient(url, fx.key);
  ok(await c.install(['cp-hello', 'cp-data']), 'dnf install --downloadonly (cold)');
  const t0 = Date.now();
  await waitFor('an unchanged refresh', refreshedAfter(proxy, t0, 'unchanged'), 120_000);
  await u.stop();
  const t1 = Date.now();
  const d = dnfClient(url, fx.key);
  ok(await d.install(['cp-hello', 'cp-data']), 'dnf install (upstream down)');
  await waitFor('a failed refresh', refreshedAfter(proxy, t1, 'failed'), 120_000);
  assert.is(await served(url), 1);
  assert.match((await httpGet(`${proxy.url}/metrics`)).body.toString(), /cache_proxy_metadata_refresh_total\{instance="fx",result="failed"\} [1-9]/);
});

t('L4 torn mirror: generation 1 kept and never a mixed set; after the upstream completes, generation 2 and cp-hello 2.0', async () => {
  u.setRoot(fx.tree('torn'));
  await u.start();
  const t0 = Date.now();
  for (let i = 0; i < 10; i++) { assert.ok(await consistent(url), `sample ${i}`); await new Promise((r) => setTimeout(r, 300)); }
  await waitFor('a failed (torn) refresh', refreshedAfter(proxy, t0, 'failed'), 120_000);
  assert.match((await rootStatus(proxy))!.error ?? '', /primary\.xml\.gz/, 'the build failed on the listed file the torn mirror lacks');
  assert.is(await served(url), 1);
  const c = dnfClient(url, fx.key);
  ok(await c.install(['cp-hello']), 'dnf install (torn upstream)');
  assert.equal(c.rpms(), [HELLO1]);
  u.setRoot(fx.tree('v2'));
  for (let i = 0; i < 10; i++) { assert.ok(await consistent(url), `sample ${10 + i}`); if ((await served(url)) === 2) break; await new Promise((r) => setTimeout(r, 300)); }
  await waitFor('generation 2', async () => (await served(url)) === 2, 120_000);
  assert.ok(await consistent(url));
  const d = dnfClient(url, fx.key);
  ok(await d.install(['cp-hello']), 'dnf install cp-hello 2.0');
  assert.equal(d.rpms(), [HELLO2]);
  assert.ok(readFileSync(d.path(HELLO2)).equals(file('v2', `Packages/${HELLO2}`)));
});

t('L5 one upstream per generation: [A torn, B complete] → generation 2 comes wholly from B', async () => {
  const a = await startFixtureServer({ root: fx.tree('v1') });
  const b = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startRpmProxy([a.url, b.url], REFRESH);
  ok(await dnfClient(p.url, fx.key).refresh(), 'dnf makecache');
  assert.is(b.requests.length, 0);
  a.setRoot(fx.tree('torn'));
  b.setRoot(fx.tree('v2'));
  await waitFor('generation 2', async () => (await served(p.url)) === 2, 120_000);
  const stateDir = join(p.proxy.backend, 'state', 'fx');
  const doc = readdirSync(stateDir).find((d) => d.startsWith('gen-'))!;
  type Manifest = { n: number; upstream: string; files: Record<string, { sha256: string }>; primary: Record<string, { sha256: string } | { absent: true }> };
  const manifest = (JSON.parse(readFileSync(join(stateDir, doc), 'utf8')) as { manifests: Manifest[] }).manifests.find((m) => m.n === 2)!;
  assert.is(manifest.upstream, b.url);
  assert.equal(manifest.primary['repodata/repomd.xml'], { ...manifest.primary['repodata/repomd.xml'], sha256: sha256(file('v2', 'repodata/repomd.xml')) });
  for (const [name, rec] of Object.entries(manifest.files)) assert.is(rec.sha256, sha256(file('v2', name)), name);
  assert.ok(Object.keys(manifest.files).some((n) => n.endsWith('-primary.xml.gz')));
  const d = dnfClient(p.url, fx.key);
  ok(await d.install(['cp-hello']), 'dnf install (generation 2 from B)');
  assert.equal(d.rpms(), [HELLO2]);
  await p.proxy.stop();
});

t('L8 rebuilt name: the upstream replaces cp-data under the same file name; after the refresh dnf gets the new bytes', async () => {
  const up = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startRpmProxy([up.url], REFRESH);
  const before = dnfClient(p.url, fx.key);
  ok(await before.install(['cp-data']), 'dnf install cp-data');
  assert.ok(readFileSync(before.path(DATA)).equals(file('v1', `Packages/${DATA}`)));
  assert.not.ok(file('v1', `Packages/${DATA}`).equals(file('rebuilt', `Packages/${DATA}`)));
  up.setRoot(fx.tree('rebuilt'));
  await waitFor('generation 2', async () => (await served(p.url)) === 2, 120_000);
  const after = dnfClient(p.url, fx.key);
  ok(await after.install(['cp-data']), 'dnf install the rebuilt cp-data');
  assert.ok(readFileSync(after.path(DATA)).equals(file('rebuilt', `Packages/${DATA}`)), 'the stored copy the index no longer lists is not served');
  assert.is(up.count('GET', `/Packages/${DATA}`), 2);
  assert.is((await httpGet(`${p.url}/Packages/${DATA}`)).sha256, sha256(file('rebuilt', `Packages/${DATA}`)));
  assert.is(up.count('GET', `/Packages/${DATA}`), 2, 'the replacement is cached');
  await p.proxy.stop();
});

t('L11 storm: 20 parallel downloads of a cold package from a throttled upstream → 1 upstream GET, all bodies right', async () => {
  const up = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startRpmProxy([up.url]);
  ok(await dnfClient(p.url, fx.key).refresh(), 'dnf makecache');
  const data = `/Packages/${DATA}`;
  up.fault(data, { rate: 512 * 1024 });
  const want = file('v1', data.slice(1));
  const rs = await Promise.all(Array.from({ length: 20 }, () => httpGet(`${p.url}${data}`, { discardBody: true, expect: want })));
  assert.is(rs.filter((r) => r.status === 200 && r.matches).length, 20);
  assert.is(up.count('GET', data), 1);
  await p.proxy.stop();
});

test.run();
