// rpm mode with the real dnf and zypper (linux-repos spec §11: L1 cold, L2 warm, L3/L10 upstream down and
// restart, L5 a new upstream state published atomically, L9 corrupt package) against fixture trees made by
// rpmbuild, createrepo_c (--update for the next state) and gpg (repomd.xml.asc, checked by dnf).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ok } from './harness/client-run.js';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, httpGet, cleanupAll, sha256, upstreamCount, waitFor, metricValue, type FixtureServer, type ProxyHandle } from './index.js';
import { buildRpmFixture, startRpmProxy, dnfClient, zypperClient, rpmClientMissing, type RpmFixture } from './harness/rpm.js';

const missing = rpmClientMissing('dnf') ?? rpmClientMissing('zypper');
let fx: RpmFixture, a: FixtureServer, b: FixtureServer, proxy: ProxyHandle, url: string;
const file = (tree: 'v1' | 'v2', p: string) => readFileSync(join(fx.tree(tree), p));
const HELLO1 = 'cp-hello-1.0-1.noarch.rpm', HELLO2 = 'cp-hello-2.0-1.noarch.rpm', DATA = 'cp-data-1.0-1.noarch.rpm';
/** the hashed repodata names a tree's repomd.xml lists */
const listed = (tree: 'v1' | 'v2') => readdirSync(join(fx.tree(tree), 'repodata')).filter((n) => !n.startsWith('repomd'));

test.before(async () => {
  if (missing) return;
  fx = buildRpmFixture({ dataMiB: 2 });
  a = await startFixtureServer({ root: fx.tree('v1') });
  b = await startFixtureServer({ root: fx.tree('v1') });
  ({ proxy, url } = await startRpmProxy([a.url, b.url]));
});
test.after(cleanupAll);

const t = (name: string, fn: () => Promise<void>) => test(name, async () => { if (missing) { console.log(`skipped: ${missing}`); return; } await fn(); });

t('L1 cold: dnf makecache + install --downloadonly (repomd.xml.asc checked) ; each file fetched from upstream once', async () => {
  const c = dnfClient(url, fx.key);
  ok(await c.refresh(), 'dnf makecache');
  ok(await c.install(['cp-hello', 'cp-data']), 'dnf install --downloadonly');
  assert.equal(c.rpms(), [DATA, HELLO1]);
  assert.ok(readFileSync(c.path(DATA)).equals(file('v1', `Packages/${DATA}`)));
  for (const p of ['/repodata/repomd.xml', '/repodata/repomd.xml.asc', `/Packages/${DATA}`, `/Packages/${HELLO1}`]) assert.is(a.count('GET', p), 1, p);
  for (const n of listed('v1')) assert.ok(a.count('GET', `/repodata/${n}`) <= 1, n);
  assert.is(b.requests.length, 0, 'the second mirror was not needed');
});

t('L2 warm: a fresh dnf, same commands → 0 upstream requests; served bytes are the upstream\'s', async () => {
  const before = upstreamCount(a, b);
  const c = dnfClient(url, fx.key);
  ok(await c.refresh(), 'dnf makecache');
  ok(await c.install(['cp-hello', 'cp-data']), 'dnf install --downloadonly');
  assert.equal(c.rpms(), [DATA, HELLO1]);
  assert.is(upstreamCount(a, b), before, `upstream saw: ${[...a.requests, ...b.requests].slice(-5).map((r) => r.path).join(', ')}`);
  const repomd = await httpGet(`${url}/repodata/repomd.xml`);
  assert.is(repomd.headers['x-cache'], 'GENERATION');
  assert.is(repomd.headers['x-cache-generation'], '1');
  assert.ok(repomd.body.equals(file('v1', 'repodata/repomd.xml')));
  assert.ok((await httpGet(`${url}/repodata/repomd.xml.asc`)).body.equals(file('v1', 'repodata/repomd.xml.asc')), 'signature passed on untouched');
});

t('zypper: ar + refresh + install --download-only through the same generation: only its media probe reaches the upstream', async () => {
  const z = zypperClient(url);
  const seenA = a.requests.length, seenB = b.requests.length;
  ok(await z.add(), 'zypper ar');
  ok(await z.refresh(), 'zypper refresh');
  const before = a.count('GET', `/Packages/${DATA}`) + a.count('GET', `/Packages/${HELLO1}`);
  ok(await z.install(['cp-hello', 'cp-data']), 'zypper install --download-only');
  assert.equal(z.rpms(), [DATA, HELLO1]);
  assert.is(sha256(readFileSync(z.path(HELLO1))), sha256(file('v1', `Packages/${HELLO1}`)));
  assert.is(a.count('GET', `/Packages/${DATA}`) + a.count('GET', `/Packages/${HELLO1}`), before, 'packages came from the store');
  // zypper probes SUSE install media (`media.1/media`); repomd.xml does not list it, so it is passed through (404 here)
  assert.equal([...a.requests.slice(seenA), ...b.requests.slice(seenB)].map((r) => r.path), ['/media.1/media']);
});

t('sqlite and other variants join the generation on demand, verified: a corrupt one is refused, then fetched again', async () => {
  const name = listed('v1').find((n) => n.endsWith('-primary.sqlite.bz2'))!;
  const path = `/repodata/${name}`;
  for (const f of [a, b]) f.fault(path, { flip_byte: 100 });
  const bad = await httpGet(`${url}${path}`);
  assert.is(bad.status, 503, 'bytes that do not match repomd.xml are never served');
  assert.match(bad.body.toString(), /no upstream has the bytes the repository index pins/);
  a.clearFaults(); b.clearFaults();
  const good = await httpGet(`${url}${path}`);
  assert.is(good.status, 200);
  assert.is(good.headers['x-cache'], 'MISS');
  assert.ok(good.body.equals(file('v1', `repodata/${name}`)));
  const gets = () => a.count('GET', path) + b.count('GET', path);
  const seen = gets();
  const again = await httpGet(`${url}${path}`);
  assert.is(again.headers['x-cache'], 'HIT');
  assert.is(again.headers['x-cache-generation'], '1');
  assert.is(gets(), seen);
});

t('L5 a new upstream state (createrepo_c --update) is published atomically; L9 a corrupt package fails dnf, nothing stored', async () => {
  const u = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startRpmProxy([u.url], '      refresh_interval: 2s\n');
  const c1 = dnfClient(p.url, fx.key);
  ok(await c1.refresh(), 'dnf makecache (v1)');
  u.setRoot(fx.tree('v2'));
  await waitFor('generation 2', async () => (await httpGet(`${p.url}/repodata/repomd.xml`, { method: 'HEAD' })).headers['x-cache-generation'] === '2', 120_000);
  const repomd = await httpGet(`${p.url}/repodata/repomd.xml`);
  assert.ok(repomd.body.equals(file('v2', 'repodata/repomd.xml')));
  assert.ok((await httpGet(`${p.url}/repodata/repomd.xml.asc`)).body.equals(file('v2', 'repodata/repomd.xml.asc')));
  const primary = listed('v2').find((n) => n.endsWith('-primary.xml.gz'))!;
  assert.ok(repomd.body.toString().includes(primary));
  const pr = await httpGet(`${p.url}/repodata/${primary}`);
  assert.is(pr.headers['x-cache'], 'HIT', 'the new primary was stored before the publish (served by its checksum name)');
  assert.is(pr.headers['x-cache-generation'], '2');
  assert.ok(pr.body.equals(file('v2', `repodata/${primary}`)));

  u.fault(`/Packages/${HELLO2}`, { flip_byte: 300 });
  const failures = await metricValue(p.proxy.url, 'cache_proxy_verify_failures_total', { instance: 'fx', kind: 'artifact' });
  const bad = dnfClient(p.url, fx.key);
  const r = await bad.install(['cp-hello']);
  assert.is.not(r.code, 0, `install of a corrupt package must fail:\n${r.out}`);
  assert.equal(bad.rpms(), []);
  assert.ok(await metricValue(p.proxy.url, 'cache_proxy_verify_failures_total', { instance: 'fx', kind: 'artifact' }) > failures, 'the proxy refused it (verify failure counted)');
  const entries = join(p.proxy.backend, 'entries', 'fx');
  const stored = (existsSync(entries) ? readdirSync(entries, { recursive: true }).map(String) : []).filter((n) => n.endsWith('.json'))
    .filter((n) => readFileSync(join(entries, n), 'utf8').includes(HELLO2));
  assert.is(stored.length, 0, 'nothing stored for the corrupt package');
  u.clearFaults();
  const good = dnfClient(p.url, fx.key);
  ok(await good.install(['cp-hello']), 'dnf install cp-hello 2.0');
  assert.equal(good.rpms(), [HELLO2]);
  assert.ok(readFileSync(good.path(HELLO2)).equals(file('v2', `Packages/${HELLO2}`)));
  await p.proxy.stop();
});

t('L3/L10 every upstream stopped, proxy restarted: roots and generations restored, dnf and zypper still succeed', async () => {
  await a.stop(); await b.stop();
  await proxy.restart();
  const c = dnfClient(url, fx.key);
  ok(await c.refresh(), 'dnf makecache after restart');
  ok(await c.install(['cp-hello', 'cp-data']), 'dnf install after restart');
  assert.equal(c.rpms(), [DATA, HELLO1]);
  const z = zypperClient(url);
  ok(await z.add(), 'zypper ar');
  ok(await z.refresh(), 'zypper refresh (upstream down)');
  ok(await z.install(['cp-hello']), 'zypper install (upstream down)');
  assert.equal(z.rpms(), [HELLO1]);
  const summary = JSON.parse((await httpGet(`${proxy.url}/-/status/summary`)).body.toString()) as { instances: { name: string; details?: { roots: { root: string; generation: number }[] } }[] };
  assert.equal(summary.instances.find((i) => i.name === 'fx')!.details!.roots.map((r) => [r.root, r.generation]), [['rpm:', 1]]);
  assert.ok((await httpGet(`${proxy.url}/`)).body.toString().includes('rpm:'), 'the home page lists the root');
  // as deb's: the root's card row carries its generation and the packages its primary lists (cp-hello, cp-data)
  const root = summary.instances.find((i) => i.name === 'fx')!.details!.roots[0] as { root: string; generation: number; packages?: number };
  assert.is(root.packages, 2);
  assert.match((await httpGet(`${proxy.url}/`)).body.toString(), /<tr><td>rpm:<\/td><td>1<\/td>/);
});

test.run();
