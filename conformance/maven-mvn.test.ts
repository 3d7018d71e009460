// maven mode with real mvn 3.8 (modes/maven real-client table V1–V11; issue #12 item 4): a two-module project
// depending on demo:1.0.0, lib:2.0, lib:2.0:sources and demo:1.1-SNAPSHOT, built with the offline-resolvable
// resources + compiler plugins, a mirror settings.xml naming the proxy and a fresh hard-link copy of the local
// repository per build. Fixture: conformance/fixtures/maven (real mvn deploy-file).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startMavenRepo, startMavenProxy, mvn, mvnAvailable, mirrorSettings, projectCopy, freshLocalRepository, MVN_BUILD, MAVEN_FIXTURE_DIR,
  httpGet, cleanupAll, tmpDir, type MavenRepo, type ProxyHandle,
} from './index.js';

const available = mvnAvailable();
const SNAP_DIR = 'com/example/demo/1.1-SNAPSHOT';
const SNAP_META = `${SNAP_DIR}/maven-metadata.xml`;
const snapshotBuild = (dir: 'repo' | 'build3', ext: 'jar' | 'pom') => `${SNAP_DIR}/${readdirSync(join(MAVEN_FIXTURE_DIR, dir, SNAP_DIR)).filter((f) => f.endsWith(`.${ext}`)).sort().pop()!}`;
const BUILD2_JAR = snapshotBuild('repo', 'jar');
const BUILD1_JAR = `${SNAP_DIR}/${readdirSync(join(MAVEN_FIXTURE_DIR, 'repo', SNAP_DIR)).find((f) => f.endsWith('-1.jar'))!}`;
const RELEASES = ['com/example/demo/1.0.0/demo-1.0.0.pom', 'com/example/demo/1.0.0/demo-1.0.0.jar', 'com/example/lib/2.0/lib-2.0.pom', 'com/example/lib/2.0/lib-2.0.jar', 'com/example/lib/2.0/lib-2.0-sources.jar'];
const RESOLVED = [...RELEASES, snapshotBuild('repo', 'pom'), BUILD2_JAR];
const isRelease = (p: string) => !p.includes('maven-metadata.xml');

const metric = async (proxy: ProxyHandle, line: RegExp) => Number(line.exec((await httpGet(`${proxy.url}/metrics`)).body.toString())?.[1] ?? 0);
function storedKeys(proxy: ProxyHandle): string[] {
  const dir = join(proxy.backend, 'entries', 'maven');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((d) => readdirSync(join(dir, d)).map((f) => (JSON.parse(readFileSync(join(dir, d, f), 'utf8')) as { key: string }).key));
}
async function build(X: string, o: { args?: string[]; project?: 'app' | 'missing'; repo?: string } = {}) {
  return mvn([...(o.args ?? []), ...MVN_BUILD], { cwd: projectCopy(o.project), settings: mirrorSettings(X), repo: o.repo });
}
const since = (repo: MavenRepo, n: number) => repo.seen().slice(n);

let repo: MavenRepo;
test.before(async () => { if (available) repo = await startMavenRepo(); });

test('V1 cold build; V2 warm with defaults (304s only, 0 for releases); V3 mvn -U; V6 a new snapshot build; V4 fixture stopped: STALE metadata, HIT releases', async () => {
  if (!available) { console.log('  (mvn not installed: skipped)'); return; }
  const { proxy, X } = await startMavenProxy(repo.url);
  const cold = await build(X);
  assert.is(cold.code, 0, cold.stdout.slice(-3000));
  for (const p of RESOLVED) {
    assert.is(repo.gets(p), 1, `${p} fetched once`);
    assert.is(repo.gets(`${p}.sha1`), 1, `${p}.sha1 fetched once (by the proxy during the fill; Maven's own request was answered from the store)`);
  }
  assert.is(repo.gets(SNAP_META), 1, 'snapshot metadata once');
  assert.is(await metric(proxy, /^cache_proxy_verify_failures_total\{instance="maven",kind="release"\} (\d+)/m), 0);
  assert.is(await metric(proxy, /^cache_proxy_verify_skipped_total\{instance="maven",kind="release"\} (\d+)/m), 0, 'every release had its sidecar');
  const sidecar = await httpGet(`${X}/com/example/lib/2.0/lib-2.0.jar.sha1`);
  assert.is(sidecar.headers['x-cache'], 'HIT');
  assert.is(sidecar.body.toString(), readFileSync(join(MAVEN_FIXTURE_DIR, 'repo/com/example/lib/2.0/lib-2.0.jar.sha1'), 'utf8'));

  // V2 with defaults: a fresh local repository; metadata revalidated by conditional GETs (304), releases never asked
  let n = repo.seen().length;
  const warm = await build(X);
  assert.is(warm.code, 0, warm.stdout.slice(-3000));
  const v2 = since(repo, n);
  assert.ok(v2.length > 0, 'metadata was revalidated');
  for (const q of v2) {
    assert.ok(q.path.includes('maven-metadata.xml'), `only metadata goes upstream (${q.path})`);
    assert.ok(q.conditional, `${q.path} was a conditional GET`);
  }

  // V3: -U forces Maven to ask for metadata again: conditional GETs, releases 0
  n = repo.seen().length;
  const local = freshLocalRepository();
  assert.is((await build(X, { repo: local })).code, 0);
  const forced = await build(X, { args: ['-U'], repo: local });
  assert.is(forced.code, 0, forced.stdout.slice(-3000));
  const v3 = since(repo, n);
  assert.ok(v3.some((q) => q.path === SNAP_META && q.conditional), 'snapshot metadata revalidated');
  assert.is(v3.filter((q) => isRelease(q.path)).length, 0, '0 release requests');

  // V6: a third snapshot build is deployed; -U: the metadata is refetched (200), the new build fetched once
  repo.deployThirdSnapshot();
  n = repo.seen().length;
  const next = await build(X, { args: ['-U'], repo: local });
  assert.is(next.code, 0, next.stdout.slice(-3000));
  const third = snapshotBuild('build3', 'jar');
  assert.is(repo.gets(third), 1, 'the new timestamped jar fetched once');
  assert.is(repo.gets(`${third}.sha1`), 1);
  assert.ok(existsSync(join(local, third)), 'Maven resolved the third build');
  assert.ok(since(repo, n).some((q) => q.path === SNAP_META && !q.conditional) || repo.gets(SNAP_META) >= 2, 'snapshot metadata refetched');
  const meta = await httpGet(`${X}/${SNAP_META}`);
  assert.ok(meta.body.toString().includes(third.split('/').pop()!.replace(/^demo-|\.jar$/g, '')), 'the proxy serves the new metadata');
  for (const old of [BUILD1_JAR, BUILD2_JAR]) {
    const r = await httpGet(`${X}/${old}`);
    assert.is(r.status, 200);
    if (old === BUILD2_JAR) assert.is(r.headers['x-cache'], 'HIT', 'the earlier timestamped build stays a HIT');
  }
  assert.is(repo.gets(BUILD2_JAR), 1);

  // V4: upstream stopped; fresh local repository; the build still succeeds
  await repo.fx.stop();
  try {
    const offline = await build(X);
    assert.is(offline.code, 0, offline.stdout.slice(-3000));
    const m = await httpGet(`${X}/${SNAP_META}`);
    assert.is(m.status, 200);
    assert.is(m.headers['x-cache'], 'STALE');
    const jar = await httpGet(`${X}/com/example/demo/1.0.0/demo-1.0.0.jar`);
    assert.is(jar.headers['x-cache'], 'HIT');
  } finally {
    await repo.fx.start();
  }
  await proxy.stop();
});

test('V2 with metadata_fresh_for and snapshot_fresh_for 10m: a warm build makes 0 upstream requests; V9 a missing artifact: 404 passed through, then negatively cached; V10 deploy: 405, nothing reaches the repository', async () => {
  if (!available) return;
  const { proxy, X } = await startMavenProxy(repo.url, '      metadata_fresh_for: 10m\n      snapshot_fresh_for: 10m');
  assert.is((await build(X)).code, 0);
  const n = repo.fx.requests.length;
  const warm = await build(X);
  assert.is(warm.code, 0, warm.stdout.slice(-3000));
  assert.is(repo.fx.requests.length, n, 'V2: 0 upstream requests');

  const missing = await build(X, { project: 'missing' });
  assert.is.not(missing.code, 0);
  assert.match(missing.stdout, /Could not find artifact com\.example:nope:(jar|pom):1\.0/);
  assert.not.match(missing.stdout, /\b503\b/);
  const nopeGets = repo.seen().filter((q) => q.path.startsWith('com/example/nope/')).length;
  assert.ok(nopeGets >= 1);
  const again = await build(X, { project: 'missing' });
  assert.match(again.stdout, /Could not find artifact com\.example:nope/);
  assert.is(repo.seen().filter((q) => q.path.startsWith('com/example/nope/')).length, nopeGets, 'V9: the repeat made 0 upstream requests');

  const jar = join(tmpDir('mvn-deploy-'), 'x.jar');
  writeFileSync(jar, readFileSync(join(MAVEN_FIXTURE_DIR, 'repo/com/example/demo/1.0.0/demo-1.0.0.jar')));
  const before = repo.fx.requests.length;
  const deploy = await mvn(['org.apache.maven.plugins:maven-deploy-plugin:3.1.1:deploy-file', `-Durl=${X}/`, '-DrepositoryId=cache-proxy', `-Dfile=${jar}`, '-DgroupId=com.example', '-DartifactId=pushed', '-Dversion=1.0', '-Dpackaging=jar', '-DgeneratePom=true'],
    { cwd: tmpDir('mvn-deploy-cwd-'), settings: mirrorSettings(X) });
  assert.is.not(deploy.code, 0);
  assert.match(deploy.stdout, /405/);
  const put = await fetch(`${X}/com/example/pushed/1.0/pushed-1.0.jar`, { method: 'PUT', body: 'x' });
  assert.is(put.status, 405);
  assert.is(put.headers.get('allow'), 'GET, HEAD');
  assert.match(await put.text(), /read-only caching proxy/);
  assert.is(repo.fx.requests.slice(before).filter((q) => q.method !== 'GET' && q.method !== 'HEAD').length, 0, 'V10: the repository received no deploy');
  await proxy.stop();
});

test('V5 a jar corrupted upstream (sidecar intact): the build fails, 502, neither the jar nor its .sha1 stored, metric counts it; fixed upstream → succeeds', async () => {
  if (!available) return;
  const { proxy, X } = await startMavenProxy(repo.url);
  const JAR = 'com/example/demo/1.0.0/demo-1.0.0.jar';
  repo.fx.fault(`/${JAR}`, { flip_byte: 10 });
  const base = { jar: repo.gets(JAR), sha1: repo.gets(`${JAR}.sha1`) };
  try {
    const r = await build(X);
    assert.is.not(r.code, 0);
    assert.match(r.stdout, /com\.example:demo:jar:1\.0\.0/);
    const fails = repo.gets(JAR) - base.jar;
    assert.ok(fails >= 1);
    assert.is(await metric(proxy, /^cache_proxy_verify_failures_total\{instance="maven",kind="release"\} (\d+)/m), fails, 'one verify failure per attempt');
    const keys = storedKeys(proxy);
    assert.not.ok(keys.includes(`release/${JAR}`), 'the jar is not stored');
    assert.not.ok(keys.includes(`checksum/${JAR}.sha1`), 'its sidecar is not stored');
    assert.ok(keys.includes('release/com/example/lib/2.0/lib-2.0.jar'), 'other jars were stored');
    const direct = await httpGet(`${X}/${JAR}`);
    assert.is(direct.status, 502);
    assert.match(direct.body.toString(), new RegExp(`checksum mismatch for ${JAR}: ${JAR}\\.sha1 says [0-9a-f]{40}, upstream sent [0-9a-f]{40}; nothing was cached`));
    assert.is(repo.gets(`${JAR}.sha1`) - base.sha1, fails + 1, 'each attempt fetched the sidecar anew');
  } finally {
    repo.clear();
  }
  const ok = await build(X);
  assert.is(ok.code, 0, ok.stdout.slice(-3000));
  assert.ok(storedKeys(proxy).includes(`release/${JAR}`));
  await proxy.stop();
});

test('V7 an HTML page answered with 200 for a POM: the build fails on lib, 502 "not XML", nothing stored', async () => {
  if (!available) return;
  const { proxy, X } = await startMavenProxy(repo.url);
  const POM = 'com/example/lib/2.0/lib-2.0.pom';
  repo.htmlAt(POM);
  try {
    const r = await build(X);
    assert.match(r.stdout, /com\.example:lib/);
    const direct = await httpGet(`${X}/${POM}`);
    assert.is(direct.status, 502);
    assert.match(direct.body.toString(), /upstream returned something that is not XML for com\/example\/lib\/2\.0\/lib-2\.0\.pom/);
    assert.not.ok(storedKeys(proxy).includes(`release/${POM}`), 'nothing stored');
  } finally {
    repo.clear();
  }
  await proxy.stop();
});

test('V8 checksum_algorithms [sha512, sha1]: the .sha512 is fetched during the fill and then a HIT; .asc served', async () => {
  if (!available) return;
  const { proxy, X } = await startMavenProxy(repo.url, '      checksum_algorithms: [sha512, sha1]');
  const JAR = 'com/example/lib/2.0/lib-2.0.jar';
  const before = { sha512: repo.gets(`${JAR}.sha512`), sha1: repo.gets(`${JAR}.sha1`) };
  const r = await httpGet(`${X}/${JAR}`);
  assert.is(r.status, 200);
  assert.ok(r.body.equals(readFileSync(join(MAVEN_FIXTURE_DIR, 'repo', JAR))));
  assert.is(repo.gets(`${JAR}.sha512`), before.sha512 + 1, 'the proxy asked for the .sha512');
  assert.is(repo.gets(`${JAR}.sha1`), before.sha1, 'and not for the .sha1');
  const s = await httpGet(`${X}/${JAR}.sha512`);
  assert.is(s.headers['x-cache'], 'HIT');
  assert.is(s.body.toString(), readFileSync(join(MAVEN_FIXTURE_DIR, 'repo', `${JAR}.sha512`), 'utf8'));
  assert.is(repo.gets(`${JAR}.sha512`), before.sha512 + 1);
  const asc = await httpGet(`${X}/${JAR}.asc`);
  assert.is(asc.status, 200);
  assert.match(asc.body.toString(), /^-----BEGIN PGP SIGNATURE-----/);
  await proxy.stop();
});

test('V11 dependency:get (runs only where maven-dependency-plugin resolves from the local repository)', async () => {
  if (!available) return;
  const { proxy, X } = await startMavenProxy(repo.url);
  const get = (local: string) => mvn(['dependency:get', '-Dartifact=com.example:demo:1.0.0'], { cwd: tmpDir('mvn-get-'), settings: mirrorSettings(X), repo: local });
  const first = await get(freshLocalRepository());
  if (first.code !== 0 && /Plugin org\.apache\.maven\.plugins:maven-dependency-plugin|maven-dependency-plugin.*could not be resolved|Failed to read artifact descriptor for org\.apache/i.test(first.stdout)) {
    console.log('  V11 cannot run here: maven-dependency-plugin does not resolve from this machine\'s local repository');
    await proxy.stop();
    return;
  }
  assert.is(first.code, 0, first.stdout.slice(-3000));
  const n = repo.seen().filter((q) => isRelease(q.path)).length;
  assert.is((await get(freshLocalRepository())).code, 0);
  assert.is(repo.seen().filter((q) => isRelease(q.path)).length, n, 'second run: 0 upstream requests for releases');
  await proxy.stop();
});

test.after(cleanupAll);
test.run();
