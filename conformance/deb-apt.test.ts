// deb mode with the real apt-get (linux-repos spec §11: L1 cold, L2 warm, L7 by-hash, L9 corrupt,
// L10 restart, L12 flat) against two fixture mirrors of a tree made by dpkg-deb, apt-ftparchive and gpg.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aptOk as ok } from './harness/apt.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  startFixtureServer, startProxy, httpGet, cleanupAll, aptClient, buildDebFixture, startDebProxy, debSources, flatSource, sha256, upstreamCount, pinnedSha256, waitFor, openable,
  type FixtureServer, type ProxyHandle, type DebFixture,
} from './index.js';

let fx: DebFixture, a: FixtureServer, b: FixtureServer, proxy: ProxyHandle, url: string;
const v1 = (p: string) => readFileSync(join(fx.tree('v1'), p));
const PKGS = 'dists/bookworm/main/binary-amd64';

test.before(async () => {
  fx = buildDebFixture();
  a = await startFixtureServer({ root: fx.tree('v1') });
  b = await startFixtureServer({ root: fx.tree('v1') });
  ({ proxy, url } = await startDebProxy([a.url, b.url]));
});
test.after(cleanupAll);


test('L1 cold: update + install --download-only of cp-hello and cp-data; each file fetched from upstream once', async () => {
  const c = aptClient(debSources(url, fx.key));
  ok(await c.update(), 'apt-get update');
  ok(await c.install(['cp-hello', 'cp-data']), 'apt-get install --download-only');
  assert.equal(c.debs(), ['cp-data_1.0_all.deb', 'cp-hello_1.0_all.deb']);
  assert.ok(readFileSync(join(c.archives, 'cp-data_1.0_all.deb')).equals(v1('pool/main/c/cp-data/cp-data_1.0_all.deb')));
  for (const s of ['bookworm', 'bookworm-updates']) for (const f of ['InRelease', 'Release', 'Release.gpg']) assert.is(a.count('GET', `/dists/${s}/${f}`), 1, `${s}/${f}`);
  assert.is(a.count('GET', '/pool/main/c/cp-data/cp-data_1.0_all.deb'), 1);
  assert.is(a.count('GET', '/pool/main/c/cp-hello/cp-hello_1.0_all.deb'), 1);
  const xzPin = pinnedSha256(v1('dists/bookworm/InRelease').toString(), 'main/binary-amd64/Packages.xz')!;
  assert.is(a.count('GET', `/${PKGS}/by-hash/SHA256/${xzPin}`), 1, 'Packages.xz fetched once, by hash');
  assert.is(b.requests.length, 0, 'the second mirror was not needed');
});

test('L2 warm: fresh client state, same commands → 0 upstream requests', async () => {
  const before = upstreamCount(a, b);
  const c = aptClient(debSources(url, fx.key));
  ok(await c.update(), 'apt-get update');
  ok(await c.install(['cp-hello', 'cp-data']), 'apt-get install --download-only');
  ok(await c.download(['cp-hello']), 'apt-get download');
  assert.equal(c.debs(), ['cp-data_1.0_all.deb', 'cp-hello_1.0_all.deb', 'cp-hello_1.0_all.deb']);
  assert.is(upstreamCount(a, b), before, `upstream saw: ${[...a.requests, ...b.requests].slice(-5).map((r) => r.path).join(', ')}`);
});

test('L7 by-hash SHA256 and SHA512 served content-addressed; generation files honour Range, 304 and HEAD', async () => {
  const inrelease = v1('dists/bookworm/InRelease').toString();
  const xz = v1(`${PKGS}/Packages.xz`);
  const s512 = (await import('node:crypto')).createHash('sha512').update(xz).digest('hex');
  for (const p of [`by-hash/SHA256/${pinnedSha256(inrelease, 'main/binary-amd64/Packages.xz')}`, `by-hash/SHA512/${s512}`]) {
    const r = await httpGet(`${url}/${PKGS}/${p}`);
    assert.is(r.status, 200, p);
    assert.ok(r.body.equals(xz), p);
    assert.is(r.headers['x-cache'], 'HIT');
    assert.is(r.headers['x-cache-generation'], '1');
  }
  const head = await httpGet(`${url}/dists/bookworm/InRelease`, { method: 'HEAD' });
  assert.is(head.headers['content-length'], String(inrelease.length));
  assert.is(head.headers['x-cache'], 'GENERATION');
  const cond = await httpGet(`${url}/dists/bookworm/InRelease`, { headers: { 'if-none-match': String(head.headers.etag) } });
  assert.is(cond.status, 304);
  const range = await httpGet(`${url}/dists/bookworm/InRelease`, { headers: { range: 'bytes=10-19' } });
  assert.is(range.status, 206);
  assert.is(range.body.toString(), inrelease.slice(10, 20));
  assert.is((await httpGet(`${url}/dists/bookworm/InRelease`, { headers: { range: 'bytes=999999-' } })).status, 416);
});

test('each compressed variant is its own listed file: Packages.gz on demand (MISS, then GENERATION), bytes of its own', async () => {
  const before = a.count('GET', `/${PKGS}/Packages.gz`) + a.requests.filter((r) => r.path.includes('/by-hash/')).length;
  const first = await httpGet(`${url}/${PKGS}/Packages.gz`);
  assert.is(first.status, 200);
  assert.is(first.headers['x-cache'], 'MISS');
  assert.ok(first.body.equals(v1(`${PKGS}/Packages.gz`)));
  const again = await httpGet(`${url}/${PKGS}/Packages.gz`);
  assert.is(again.headers['x-cache'], 'GENERATION');
  const plain = await httpGet(`${url}/${PKGS}/Packages`);
  assert.ok(plain.body.equals(v1(`${PKGS}/Packages`)));
  assert.not.ok(plain.body.equals(first.body));
  assert.is(a.count('GET', `/${PKGS}/Packages.gz`) + a.requests.filter((r) => r.path.includes('/by-hash/')).length - before, 2, 'two upstream fetches for two new variants');
  const unlisted = await httpGet(`${url}/dists/bookworm/main/not-listed.txt`);
  assert.is(unlisted.status, 404);
  assert.is(unlisted.headers['x-cache'], 'PASSTHROUGH');
});

const metric = async (name: string, labels: string) => {
  const text = (await httpGet(`${proxy.url}/metrics`)).body.toString();
  const line = text.split('\n').find((l) => l.startsWith(name) && labels.split(',').every((x) => l.includes(x)));
  return line ? Number(line.split(' ').pop()) : 0;
};

test('L9 corrupt artifact: apt fails, nothing stored, verify failures counted; L12 flat repo then works', async () => {
  const path = '/flat/cp-hello_1.0_all.deb';
  for (const f of [a, b]) f.fault(path, { flip_byte: 200 });
  const failures = await metric('cache_proxy_verify_failures_total', 'instance="debian",kind="artifact"');
  const c = aptClient([flatSource(url, fx.key)]);
  ok(await c.update(), 'apt-get update (flat)');
  const bad = await c.download(['cp-hello']);
  assert.is.not(bad.code, 0, `download of a corrupt package must fail:\n${bad.out}`);
  assert.equal(c.debs(), []);
  assert.ok(await metric('cache_proxy_verify_failures_total', 'instance="debian",kind="artifact"') > failures);
  const stored = readdirSync(join(proxy.backend, 'entries', 'debian'), { recursive: true }).filter((n) => String(n).endsWith('.json'))
    .map((n) => readFileSync(join(proxy.backend, 'entries', 'debian', String(n)), 'utf8')).filter((t) => t.includes('flat/cp-hello'));
  assert.is(stored.length, 0, 'nothing stored for the corrupt package');
  a.clearFaults(); b.clearFaults();
  const good = await c.download(['cp-hello']);
  assert.is(good.code, 0, good.out);
  assert.equal(c.debs(), ['cp-hello_1.0_all.deb']);
  assert.ok(readFileSync(join(c.dir, 'dl', 'cp-hello_1.0_all.deb')).equals(v1('flat/cp-hello_1.0_all.deb')));
  const warm = aptClient([flatSource(url, fx.key)]);
  const before = upstreamCount(a, b);
  ok(await warm.update(), 'apt-get update (flat, warm)');
  ok(await warm.download(['cp-hello']), 'apt-get download (flat, warm)');
  assert.is(upstreamCount(a, b), before);
});

test('unindexed artifacts: cache (MISS then HIT), pass (forwarded each time), deny (404, upstream untouched)', async () => {
  const extra = '/pool/extra/x/unlisted_1.0_all.deb';
  a.set(extra, { body: v1('pool/main/c/cp-hello/cp-hello_1.0_all.deb') });
  const first = await httpGet(`${url}${extra}`);
  assert.is(first.headers['x-cache'], 'MISS');
  assert.is((await httpGet(`${url}${extra}`)).headers['x-cache'], 'HIT');
  assert.is(a.count('GET', extra), 1);
  const p = await startProxy({ config: `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
instances:
  - { name: passing, enabled: true, deb: { route: { path: /pass }, upstreams: [${a.url}], unindexed_artifacts: pass } }
  - { name: denying, enabled: true, deb: { route: { path: /deny }, upstreams: [${a.url}], unindexed_artifacts: deny } }
` });
  for (let i = 0; i < 2; i++) {
    const r = await httpGet(`${p.url}/pass${extra}`);
    assert.is(r.status, 200);
    assert.is(r.headers['x-cache'], 'PASSTHROUGH');
  }
  assert.is(a.count('GET', extra), 3);
  const d = await httpGet(`${p.url}/deny${extra}`);
  assert.is(d.status, 404);
  assert.match(d.body.toString(), /not listed by any repository index/);
  assert.is(a.count('GET', extra), 3);
  await p.stop();
});

test('cold_wait: a first build slower than cold_wait passes the request through, not stored; once published, the generation serves', async () => {
  const up = await startFixtureServer({ root: fx.tree('v1') });
  // the first build reads InRelease, then Release, which the test holds back: the build cannot finish before the test allows it
  const build = openable();
  up.fault('/dists/bookworm/Release', { gate: build.promise });
  const p = await startDebProxy([up.url], '      cold_wait: 500ms\n');
  const first = await httpGet(`${p.url}/dists/bookworm/InRelease`, { timeoutMs: 120_000 });
  assert.is(first.status, 200);
  assert.is(first.headers['x-cache'], 'PASSTHROUGH', 'the build is held, so the answer came after cold_wait, passed through');
  assert.is(first.headers['x-cache-generation'], undefined);
  assert.ok(first.body.equals(v1('dists/bookworm/InRelease')));
  await waitFor('the build to reach Release (InRelease: one GET by the build, one passed through)', async () => up.count('GET', '/dists/bookworm/InRelease') === 2 && up.count('GET', '/dists/bookworm/Release') === 1, 120_000);
  build.open();
  const generation = async () => {
    const summary = JSON.parse((await httpGet(`${p.proxy.url}/-/status/summary`)).body.toString()) as { instances: { name: string; details?: { roots: { root: string; generation: number }[] } }[] };
    return summary.instances.find((i) => i.name === 'debian')?.details?.roots.find((r) => r.root === 'deb_distribution:dists/bookworm')?.generation;
  };
  await waitFor('generation 1 of dists/bookworm', async () => (await generation()) === 1, 120_000);
  const later = await httpGet(`${p.url}/dists/bookworm/InRelease`);
  assert.is(later.headers['x-cache'], 'GENERATION');
  assert.is(later.headers['x-cache-generation'], '1');
  assert.ok(later.body.equals(v1('dists/bookworm/InRelease')));
  assert.is(up.count('GET', '/dists/bookworm/InRelease'), 2, 'the generation serves without asking the upstream');
  await p.proxy.stop();
});

test('L10 restart with every upstream stopped: roots and generations restored, apt still succeeds', async () => {
  await a.stop(); await b.stop();
  await proxy.restart();
  const c = aptClient([...debSources(url, fx.key), flatSource(url, fx.key)]);
  ok(await c.update(), 'apt-get update after restart');
  ok(await c.install(['cp-hello', 'cp-data']), 'apt-get install after restart');
  const r = await httpGet(`${url}/dists/bookworm/InRelease`, { method: 'HEAD' });
  assert.is(r.headers['x-cache-generation'], '1');
  const summary = JSON.parse((await httpGet(`${proxy.url}/-/status/summary`)).body.toString()) as { instances: { name: string; details?: { roots: { root: string; generation: number }[] } }[] };
  const roots = summary.instances.find((i) => i.name === 'debian')!.details!.roots.map((r) => r.root).sort();
  assert.equal(roots, ['deb_distribution:dists/bookworm', 'deb_distribution:dists/bookworm-updates', 'deb_flat:flat']);
  const home = (await httpGet(`${proxy.url}/`)).body.toString();
  for (const r of roots) assert.ok(home.includes(r), `home page lists ${r}`);
  assert.is(sha256(readFileSync(join(c.archives, 'cp-hello_1.0_all.deb'))), sha256(v1('pool/main/c/cp-hello/cp-hello_1.0_all.deb')));
});

test.run();
