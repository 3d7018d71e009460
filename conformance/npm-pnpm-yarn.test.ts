// npm mode with pnpm, yarn classic and yarn berry (modes/npm.md §6 N3–N5): cold install, then a frozen
// install from the lockfile with an empty store/cache → 0 upstream tarball requests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startNpmRegistry, startNpmProxy, run, appCopy, clientHome, clientAvailable, CLIENTS, cleanupAll, tmpDir, type NpmRegistry } from './index.js';

let reg: NpmRegistry;
let env: NodeJS.ProcessEnv;
const T = tmpDir('npm-py-');

test.before(async () => {
  reg = await startNpmRegistry();
  env = clientHome().env;
});

test('N3 pnpm: install, then --frozen-lockfile with an empty store → 0 tarball requests; lockfile has no tarball: entries', async () => {
  if (!clientAvailable('pnpm')) return;
  const { proxy, R } = await startNpmProxy({ upstream: reg.url });
  const app = appCopy();
  const first = await run(CLIENTS.pnpm, ['install', '--registry', `${R}/`, '--store-dir', join(T, 's1'), '--config.confirmModulesPurge=false'], { cwd: app, env });
  assert.is(first.code, 0, first.stdout + first.stderr);
  const lock = readFileSync(join(app, 'pnpm-lock.yaml'), 'utf8');
  assert.match(lock, /'@fx\/demo@1\.1\.0'/);
  assert.not.match(lock, /tarball:/, 'canonical tarball URLs: pnpm records none');
  assert.ok(reg.tarballGets() >= 20);
  const tarBase = reg.tarballGets();
  rmSync(join(app, 'node_modules'), { recursive: true, force: true });
  const second = await run(CLIENTS.pnpm, ['install', '--frozen-lockfile', '--registry', `${R}/`, '--store-dir', join(T, 's2'), '--config.confirmModulesPurge=false'], { cwd: app, env });
  assert.is(second.code, 0, second.stdout + second.stderr);
  assert.is(reg.tarballGets(), tarBase, '0 upstream tarball requests');
  assert.ok(existsSync(join(app, 'node_modules/fx-cli/package.json')));
  await proxy.stop();
});

test('N4 yarn classic 1.22.22: install, then --frozen-lockfile with an empty cache; yarn.lock URLs under the proxy', async () => {
  if (!clientAvailable('yarn')) return;
  const { proxy, R } = await startNpmProxy({ upstream: reg.url });
  const app = appCopy();
  const args = (cache: string) => ['install', '--registry', `${R}/`, '--cache-folder', join(T, cache), '--non-interactive', '--no-progress'];
  const first = await run(CLIENTS.yarn, args('y1'), { cwd: app, env });
  assert.is(first.code, 0, first.stdout + first.stderr);
  const resolved = [...readFileSync(join(app, 'yarn.lock'), 'utf8').matchAll(/resolved "([^"]+)"/g)].map((x) => x[1]!);
  assert.ok(resolved.length >= 20, `${resolved.length} packages`);
  for (const u of resolved) assert.ok(u.startsWith(`${R}/`), u);
  const tarBase = reg.tarballGets();
  rmSync(join(app, 'node_modules'), { recursive: true, force: true });
  const second = await run(CLIENTS.yarn, [...args('y2'), '--frozen-lockfile'], { cwd: app, env });
  assert.is(second.code, 0, second.stdout + second.stderr);
  assert.is(reg.tarballGets(), tarBase, '0 upstream tarball requests');
  await proxy.stop();
});

test('N5 yarn berry: install, then --immutable with an empty cache', async () => {
  if (!clientAvailable('berry')) return;
  const { proxy, R } = await startNpmProxy({ upstream: reg.url });
  const app = appCopy();
  const rc = (cache: string) => `npmRegistryServer: "${R}"\nunsafeHttpWhitelist: ["127.0.0.1"]\nenableGlobalCache: false\ncacheFolder: "${join(T, cache)}"\nnodeLinker: node-modules\nenableTelemetry: false\n`;
  writeFileSync(join(app, '.yarnrc.yml'), rc('b1'));
  const benv = { ...env, YARN_ENABLE_IMMUTABLE_INSTALLS: 'false', YARN_IGNORE_PATH: '1' };
  const first = await run(CLIENTS.berry, ['install'], { cwd: app, env: benv });
  assert.is(first.code, 0, first.stdout + first.stderr);
  const lock = readFileSync(join(app, 'yarn.lock'), 'utf8');
  assert.match(lock, /"@fx\/demo@npm:\^1\.0\.0"/);
  const tarBase = reg.tarballGets();
  rmSync(join(app, 'node_modules'), { recursive: true, force: true });
  writeFileSync(join(app, '.yarnrc.yml'), rc('b2'));
  const second = await run(CLIENTS.berry, ['install', '--immutable'], { cwd: app, env: benv });
  assert.is(second.code, 0, second.stdout + second.stderr);
  assert.is(reg.tarballGets(), tarBase, '0 upstream tarball requests');
  assert.ok(existsSync(join(app, 'node_modules/@fx/demo/package.json')));
  await proxy.stop();
});

test.after(cleanupAll);
test.run();
