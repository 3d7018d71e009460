// Opt-in live check (`npm run test:live`): the proxy in front of the registry this machine's npm uses
// (read at run time from `npm config get registry`), installing a few real packages, then `npm ci`
// from the lockfile with an empty cache served without any upstream tarball request.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startNpmProxy, npm, clientHome, httpGet, tmpDir, cleanupAll } from './index.js';

const upstream = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim().replace(/\/+$/, '');
const upstreamTarballs = async (url: string) => [...(await httpGet(`${url}/metrics`)).body.toString().matchAll(/^cache_proxy_fills_total\{instance="npm",kind="tarball",result="(?:stored|deduplicated)"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);

test('live: npm install of real packages through the proxy, then npm ci from its cache only', async () => {
  assert.match(upstream, /^https?:\/\//, 'npm config get registry gives a URL');
  const { proxy, R } = await startNpmProxy({ upstream, npm: '      metadata_fresh_for: 10m' });
  const { env } = clientHome();
  const T = tmpDir('npm-live-');
  const app = join(T, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'live-app', private: true, dependencies: { debug: '^4.3.0', 'is-number': '^7.0.0', '@isaacs/string-locale-compare': '^1.1.0' } }));
  const first = await npm(['install'], { cwd: app, env, registry: R, cache: join(T, 'c1') });
  assert.is(first.code, 0, first.stderr);
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> };
  const resolved = Object.entries(lock.packages).filter(([k]) => k).map(([, v]) => v.resolved ?? '');
  assert.ok(resolved.length >= 4);
  for (const u of resolved) assert.ok(u.startsWith(`${R}/`), u);
  const filled = await upstreamTarballs(proxy.url);
  assert.ok(filled >= 4, `${filled} tarballs verified and stored`);
  rmSync(join(app, 'node_modules'), { recursive: true, force: true });
  const ci = await npm(['ci'], { cwd: app, env, registry: R, cache: join(T, 'c2') });
  assert.is(ci.code, 0, ci.stderr);
  assert.is(await upstreamTarballs(proxy.url), filled, 'npm ci made no new tarball fill');
  const ms = await httpGet(`${R}/ms`, { headers: { accept: 'application/vnd.npm.install-v1+json' } });
  assert.is(ms.status, 200);
  for (const u of ms.body.toString().match(/"tarball":"[^"]+"/g) ?? []) assert.ok(u.includes(`"${R}/ms/-/ms-`), u);
  await proxy.stop();
});

test.after(cleanupAll);
test.run();
