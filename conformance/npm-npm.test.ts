// npm mode with the real npm client (modes/npm.md §6 N1, N2, N6, N7; issue #4 item 3): cold install,
// warm `npm ci` from the lockfile with an empty cache, upstream outage, corrupted tarball, 30 concurrent cold installs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNpmRegistry, startNpmProxy, npm, appCopy, clientHome, httpGet, cleanupAll, tmpDir, type NpmRegistry, type ProxyHandle } from './index.js';

let reg: NpmRegistry;
let env: NodeJS.ProcessEnv;
let app: string; // the app after N1, with its lockfile
let appR: string; // the proxy URL its lockfile names
/** a fresh app copy with N1's lockfile, its URLs pointed at another proxy */
function withLock(R: string): string {
  const d = appCopy();
  writeFileSync(join(d, 'package-lock.json'), readFileSync(join(app, 'package-lock.json'), 'utf8').split(`${appR}/`).join(`${R}/`));
  return d;
}
const T = tmpDir('npm-npm-');

const lockResolved = (dir: string) => Object.entries((JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> }).packages).filter(([k]) => k).map(([k, v]) => [k, v.resolved ?? ''] as const);
const tarballCounts = (r: NpmRegistry) => {
  const counts = new Map<string, number>();
  for (const q of [...r.fx.requests, ...r.t2.requests]) if (q.method === 'GET' && q.path.endsWith('.tgz')) counts.set(q.path, (counts.get(q.path) ?? 0) + 1);
  return counts;
};
const metric = async (proxy: ProxyHandle, line: RegExp) => Number(line.exec((await httpGet(`${proxy.url}/metrics`)).body.toString())?.[1] ?? 0);
function storedKeys(proxy: ProxyHandle): string[] {
  const dir = join(proxy.backend, 'entries', 'npm');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((d) => readdirSync(join(dir, d)).map((f) => (JSON.parse(readFileSync(join(dir, d, f), 'utf8')) as { key: string }).key));
}

test.before(async () => {
  reg = await startNpmRegistry();
  env = clientHome().env;
});

test('N1 cold npm install (23 packages): lockfile URLs under the proxy, each tarball fetched once, each document once', async () => {
  const { proxy, R } = await startNpmProxy({ upstream: reg.url, npm: '      metadata_fresh_for: 10m' });
  app = appCopy();
  appR = R;
  const r = await npm(['install'], { cwd: app, env, registry: R, cache: join(T, 'c1') });
  assert.is(r.code, 0, r.stderr);
  const resolved = lockResolved(app);
  assert.ok(resolved.length >= 20, `${resolved.length} packages in the tree`);
  for (const [k, url] of resolved) assert.ok(url.startsWith(`${R}/`), `${k} resolved ${url}`);
  assert.ok(resolved.some(([k, url]) => k === 'node_modules/fx-t2' && url === `${R}/fx-t2/-/fx-t2-1.0.0.tgz`), 'the T2 tarball goes through the proxy');
  const counts = tarballCounts(reg);
  assert.is(counts.size, resolved.length, 'one tarball per installed package');
  for (const [p, n] of counts) assert.is(n, 1, `${p} fetched ${n} times`);
  assert.is(reg.t2.count('GET', '/files/fx-t2-1.0.0.tgz'), 1);
  const perClass = new Map<string, number>();
  for (const q of reg.fx.requests) if (!q.path.endsWith('.tgz')) perClass.set(`${q.path} ${q.headers.accept}`, (perClass.get(`${q.path} ${q.headers.accept}`) ?? 0) + 1);
  for (const [k, n] of perClass) assert.is(n, 1, `${k} requested ${n} times`);
  assert.ok(readFileSync(join(app, 'node_modules/fx-cli/bin/fx-cli.js')).length > 0);

  // N2 warm: node_modules removed, empty npm cache, `npm ci` from the lockfile → not one upstream request
  rmSync(join(app, 'node_modules'), { recursive: true, force: true });
  const before = reg.fx.requests.length + reg.t2.requests.length;
  const ci = await npm(['ci'], { cwd: app, env, registry: R, cache: join(T, 'c2') });
  assert.is(ci.code, 0, ci.stderr);
  assert.is(reg.fx.requests.length + reg.t2.requests.length, before, 'N2: 0 upstream requests');
  await proxy.stop();
});

test('N2 with metadata_fresh_for unset: only conditional document GETs (304), 0 tarball requests; N6 upstream stopped: npm ci still succeeds', async () => {
  const { proxy, R } = await startNpmProxy({ upstream: reg.url });
  const warm = withLock(R);
  const first = await npm(['ci'], { cwd: warm, env, registry: R, cache: join(T, 'c3') });
  assert.is(first.code, 0, first.stderr + proxy.logs().slice(-3000));
  // without node_modules and lockfile, with an empty cache: npm asks for every document (once to store the full class)
  assert.is((await npm(['install'], { cwd: appCopy(), env, registry: R, cache: join(T, 'c4a') })).code, 0);
  const base = reg.fx.requests.length, tarBase = reg.tarballGets();
  const again = await npm(['install'], { cwd: appCopy(), env, registry: R, cache: join(T, 'c4') });
  assert.is(again.code, 0, again.stderr);
  const later = reg.fx.requests.slice(base);
  assert.ok(later.length > 0, 'npm install asks for documents');
  for (const q of later) assert.ok(q.headers['if-none-match'], `${q.path} was a conditional GET`);
  assert.is(reg.tarballGets(), tarBase, '0 tarball requests');

  await reg.stop();
  try {
    rmSync(join(warm, 'node_modules'), { recursive: true, force: true });
    const ci = await npm(['ci'], { cwd: warm, env, registry: R, cache: join(T, 'c5') });
    assert.is(ci.code, 0, ci.stderr);
    const doc = await httpGet(`${R}/@fx/demo`);
    assert.is(doc.status, 200);
    assert.is(doc.headers['x-cache'], 'STALE');
    const tgz = await httpGet(`${R}/@fx/demo/-/demo-1.1.0.tgz`);
    assert.is(tgz.headers['x-cache'], 'HIT');
  } finally {
    await reg.start();
  }
  await proxy.stop();
});

test('N7 a tarball corrupted upstream: npm ci fails with the integrity error, nothing cached, metric 1; fixed upstream → succeeds', async () => {
  const { proxy, R } = await startNpmProxy({ upstream: reg.url });
  const bad = reg.tarballPath('fx-json', '1.0.0');
  reg.fx.fault(bad, { flip_byte: 100 });
  const dir = withLock(R);
  try {
    const ci = await npm(['ci'], { cwd: dir, env, registry: R, cache: join(T, 'c6') });
    assert.is.not(ci.code, 0, 'npm ci must fail');
    assert.match(ci.stderr, /fx-json/);
    const direct = await httpGet(`${R}/fx-json/-/fx-json-1.0.0.tgz`);
    assert.is(direct.status, 502);
    assert.match(direct.body.toString(), /^502 Bad Gateway: integrity check failed for fx-json@1\.0\.0: expected sha512-[A-Za-z0-9+/=]+, upstream sent sha512-[A-Za-z0-9+/=]+; nothing was cached/);
    assert.not.ok(storedKeys(proxy).includes('tarball/fx-json/1.0.0'), 'no entry for the bad tarball');
    assert.ok(storedKeys(proxy).some((k) => k.startsWith('tarball/')), 'other tarballs were stored');
    assert.ok(await metric(proxy, /^cache_proxy_verify_failures_total\{instance="npm",kind="tarball"\} (\d+)/m) >= 1);
  } finally {
    reg.fx.clearFaults();
  }
  rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
  const ok = await npm(['ci'], { cwd: dir, env, registry: R, cache: join(T, 'c7') });
  assert.is(ok.code, 0, ok.stderr);
  assert.ok(storedKeys(proxy).includes('tarball/fx-json/1.0.0'));
  await proxy.stop();
});

test('30 concurrent cold npm ci of the same lockfile → each tarball fetched from upstream once', async () => {
  const { proxy, R } = await startNpmProxy({ upstream: reg.url });
  reg.fx.requests.length = 0;
  reg.t2.requests.length = 0;
  const dirs = Array.from({ length: 30 }, () => withLock(R));
  const results = await Promise.all(dirs.map((d, i) => npm(['ci', '--ignore-scripts'], { cwd: d, env, registry: R, cache: join(T, `cc${i}`), timeoutMs: 600_000 })));
  const failed = results.filter((r) => r.code !== 0);
  // 30 npm processes on 2 shared cores: each gets 10 minutes (a sanity bound; a killed one has empty stderr)
  assert.is(failed.length, 0, `exit ${failed[0]?.code}: ${failed[0]?.stderr}\n${proxy.logs().split('\n').filter((l) => /warn|error/.test(l)).slice(0, 20).join('\n')}`);
  const counts = tarballCounts(reg);
  assert.ok(counts.size >= 20);
  for (const [p, n] of counts) assert.is(n, 1, `${p} fetched ${n} times`);
  for (const q of reg.fx.requests.filter((x) => !x.path.endsWith('.tgz'))) assert.is(reg.fx.count('GET', q.path), 1, `${q.path} (learning digests) fetched once`);
  await proxy.stop();
});

test.after(cleanupAll);
test.run();
