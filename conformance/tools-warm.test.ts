// `cache-proxy warm` (issue 15): a package-lock.json without resolved URLs (this machine's npm form) warmed through
// a fresh proxy, then `npm ci` with the registry stopped succeeds from the cache alone; a Cargo.lock and a
// requirements.txt warmed, then warmed again and checked with 0 misses and nothing downloaded again; what warm
// cannot do is reported.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startNpmRegistry, startCargoRegistry, startPypiIndex, startProxy, run, appCopy, clientHome, cleanupAll, tmpDir, repoRoot,
  type NpmRegistry, type CargoRegistry, type PypiIndex, type ProxyHandle,
} from './index.js';

const T = tmpDir('warm-');
let reg: NpmRegistry, crates: CargoRegistry, index: PypiIndex, proxy: ProxyHandle;
const env = clientHome().env;

const cli = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string; ms: number }>((resolve) => {
  const t0 = performance.now();
  execFile(process.execPath, [join(repoRoot, 'bin/cache-proxy.js'), ...args, '-c', proxy.configFile], { encoding: 'utf8', env: { ...process.env, CI: 'true' } }, (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr, ms: performance.now() - t0 }));
});
interface Summary { requests: number; cached: number; by_cache: Record<string, number>; failed: unknown[]; missing: string[]; unsupported: string[]; problems: string[] }

test.before(async () => {
  reg = await startNpmRegistry();
  crates = await startCargoRegistry();
  index = await startPypiIndex();
  proxy = await startProxy({
    config: `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}", limits: { shutdown_timeout: 1s } }
metrics: { path: /metrics }
instances:
  - name: npm
    enabled: true
    npm: { route: { path: /npm }, upstream: ${reg.url} }
  - name: cargo
    enabled: true
    cargo: { route: { path: /cargo }, upstream: "sparse+${crates.url}/" }
  - name: pypi
    enabled: true
    pypi: { route: { path: /pypi }, upstream: ${index.url} }
`,
  });
});
test.after(async () => { await proxy?.stop(); await reg?.stop(); await crates?.stop(); await index?.stop(); await cleanupAll(); });

test('warm a package-lock.json without resolved URLs, stop the registry: npm ci against the proxy succeeds', async () => {
  // the lockfile is made against the registry itself: the proxy has seen nothing before warm
  const app = appCopy();
  const npmArgs = (registry: string, cache: string) => ['--no-audit', '--no-fund', '--registry', `${registry}/`, '--cache', cache, '--omit-lockfile-registry-resolved=true', '--fetch-retries=0', '--loglevel=error'];
  const lock = await run('npm', ['install', '--package-lock-only', ...npmArgs(reg.url, join(T, 'lock-cache'))], { cwd: app, env, timeoutMs: 600_000 });
  assert.is(lock.code, 0, lock.stderr);
  const lockFile = join(app, 'package-lock.json');
  const packages = Object.entries((JSON.parse(readFileSync(lockFile, 'utf8')) as { packages: Record<string, { resolved?: string }> }).packages).filter(([k]) => k);
  assert.ok(packages.length >= 20 && packages.every(([, p]) => p.resolved === undefined), 'a lockfile without resolved URLs');

  const warm = await cli(['warm', lockFile, '--json']);
  assert.is(warm.code, 0, warm.stdout + warm.stderr);
  const s = JSON.parse(warm.stdout) as Summary;
  assert.equal(s.failed, []);
  assert.equal(s.unsupported, []);
  const tarballs = new Set(reg.fx.requests.concat(reg.t2.requests).filter((q) => q.path.endsWith('.tgz')).map((q) => q.path));
  assert.ok(tarballs.size >= packages.length, `every tarball fetched upstream once (${tarballs.size} for ${packages.length} packages)`);
  process.stderr.write(`  warm of ${s.requests} npm requests: ${Math.round(warm.ms)} ms\n`);

  await reg.stop();
  const check = await cli(['warm', lockFile, '--check', '--json']);
  assert.is(check.code, 0, check.stdout);
  assert.is((JSON.parse(check.stdout) as Summary).cached, s.requests, 'everything cached');
  const upstreamBefore = reg.fx.requests.length + reg.t2.requests.length;
  const dir = appCopy();
  writeFileSync(join(dir, 'package-lock.json'), readFileSync(lockFile));
  const ci = await run('npm', ['ci', ...npmArgs(`${proxy.url}/npm`, join(T, 'ci-cache'))], { cwd: dir, env, timeoutMs: 600_000 });
  assert.is(ci.code, 0, `${ci.stderr}\n${proxy.logs().slice(-2000)}`);
  assert.ok(readFileSync(join(dir, 'node_modules/fx-cli/bin/fx-cli.js')).length > 0);
  assert.is(reg.fx.requests.length + reg.t2.requests.length, upstreamBefore, 'the registry was not reached');
});

test('warm a Cargo.lock; warm again and --check: 0 misses, no crate downloaded again', async () => {
  const lock = join(T, 'Cargo.lock');
  const src = 'registry+https://registry.example/index';
  const pkgs = [['a', '0.1.0'], ['ab', '0.1.0'], ['abc', '0.1.0'], ['fx_app_dep', '0.1.0'], ['fx_demo', '0.1.0'], ['Fx_Mixed', '0.1.0']];
  writeFileSync(lock, `version = 3\n\n[[package]]\nname = "fx_app"\nversion = "0.1.0"\n` + pkgs.map(([n, v]) => `\n[[package]]\nname = "${n}"\nversion = "${v}"\nsource = "${src}"\nchecksum = "${crates.crate(n!, v!).cksum}"\n`).join(''));
  const first = await cli(['warm', lock, '--json']);
  assert.is(first.code, 0, first.stdout + first.stderr);
  const s1 = JSON.parse(first.stdout) as Summary;
  assert.is(s1.requests, 1 + 2 * pkgs.length, 'config.json, then an index file and a download per crate');
  assert.equal(s1.failed, []);
  assert.is(crates.downloads().length, pkgs.length);

  const second = JSON.parse((await cli(['warm', lock, '--json'])).stdout) as Summary;
  assert.is(second.by_cache.MISS ?? 0, 0, JSON.stringify(second.by_cache));
  assert.is(second.cached, s1.requests);
  const check = await cli(['warm', lock, '--check']);
  assert.is(check.code, 0, check.stdout);
  assert.match(check.stdout, `${s1.requests} of ${s1.requests} cached`);
  // index files are revalidated as cargo's would be; no crate is downloaded again
  assert.is(crates.downloads().length, pkgs.length, 'no crate download after the first warm');
});

test('warm a requirements.txt with hashes: the pinned files only; warmed again, 0 misses and no file fetched again', async () => {
  const req = join(T, 'requirements.txt');
  const whl = 'demo_lib-1.0-py3-none-any.whl', sdist = 'demo-util-1.1.tar.gz';
  writeFileSync(req, `demo-lib==1.0 \\\n    --hash=sha256:${index.sha256(whl)}\ndemo-util==1.1 --hash=sha256:${index.sha256(sdist)}\n`);
  const first = JSON.parse((await cli(['warm', req, '--json'])).stdout) as Summary;
  assert.equal(first.failed, []);
  assert.is(first.requests, 4, 'two project pages, the two pinned files');
  assert.is(index.fileGets(), 2);
  const second = JSON.parse((await cli(['warm', req, '--json'])).stdout) as Summary;
  assert.is(second.by_cache.MISS ?? 0, 0, JSON.stringify(second.by_cache));
  const check = JSON.parse((await cli(['warm', req, '--check', '--json'])).stdout) as Summary;
  assert.equal(check.missing, []);
  assert.is(index.fileGets(), 2, 'no file fetched again');
});

test('what warm cannot do is reported, never skipped: an unknown file, a format with no enabled instance', async () => {
  const f = join(T, 'Gemfile.lock');
  writeFileSync(f, 'GEM\n');
  const g = join(T, 'go.sum');
  writeFileSync(g, 'example.com/m v1.0.0 h1:x=\n');
  const r = await cli(['warm', f, g]);
  assert.is(r.code, 1);
  assert.match(r.stdout, `unsupported: ${f}: not a lockfile warm knows`);
  assert.match(r.stdout, 'unsupported: no enabled go instance in the configuration: 3 requests not made');
});

test.run();
