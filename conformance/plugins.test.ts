// §10.12 (Accept classes keyed, canonical value forwarded) and §10.29 (plugins, mode new scaffold).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { writeFileSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startFixtureServer, startProxy, httpGet, tmpDir, cleanupAll, repoRoot } from './index.js';

const plugins = join(repoRoot, 'conformance/fixtures/plugins');
const varyProxy = (upstream: string) => startProxy({
  config: `server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
plugins: ["${join(plugins, 'cache-proxy-mode-varytest')}"]
instances:
  - { name: v, enabled: true, varytest: { route: { path: /v }, upstream: "${upstream}" } }
`,
});
const cli = (args: string[], cwd?: string) => spawnSync(process.execPath, [join(repoRoot, 'bin/cache-proxy.js'), ...args], { encoding: 'utf8', cwd, timeout: 60_000 });

test('§10.12 two Accept classes on one path → 2 upstream GETs with canonical values, each its own body with Vary: Accept; repeats FRESH', async () => {
  const up = await startFixtureServer();
  up.set('/doc', { body: '{"full":true}', headers: { 'content-type': 'application/json' } });
  const proxy = await varyProxy(up.url);
  const a = await httpGet(`${proxy.url}/v/doc`, { headers: { accept: 'application/vnd.test.small+json; q=1.0, */*' } });
  const b = await httpGet(`${proxy.url}/v/doc`, { headers: { accept: 'text/html' } });
  assert.is(a.status, 200); assert.is(b.status, 200);
  assert.match(String(a.headers.vary), /Accept/);
  const seen = up.requests.filter((q) => q.path === '/doc').map((q) => q.headers.accept).sort();
  assert.equal(seen, ['application/json', 'application/vnd.test.small+json']);
  assert.is((await httpGet(`${proxy.url}/v/doc`, { headers: { accept: 'application/vnd.test.small+json' } })).headers['x-cache'], 'FRESH');
  assert.is((await httpGet(`${proxy.url}/v/doc`)).headers['x-cache'], 'FRESH');
  assert.is(up.count('GET', '/doc'), 2);
  await proxy.stop();
});

test('§10.9 rewrite kind: HEAD length = GET body length, weak ETag ≠ upstream, stored blob = upstream bytes', async () => {
  const up = await startFixtureServer();
  const raw = '{"tarball":"@BASE@/rw/x.tgz","more":"@BASE@/rw/y.tgz"}';
  up.set('/rw/doc', { body: raw, headers: { 'content-type': 'application/json' } });
  const proxy = await varyProxy(up.url);
  const head = await httpGet(`${proxy.url}/v/rw/doc`, { method: 'HEAD' });
  const get = await httpGet(`${proxy.url}/v/rw/doc`);
  const expected = raw.split('@BASE@').join(`${proxy.url}/v`);
  assert.is(get.body.toString(), expected);
  assert.is(head.headers['content-length'], String(Buffer.byteLength(expected)));
  assert.is(get.headers['content-length'], String(Buffer.byteLength(expected)));
  assert.match(String(get.headers.etag), /^W\//);
  const upstreamEtag = up.requests.length ? undefined : undefined;
  void upstreamEtag;
  const direct = await httpGet(`${up.url}/rw/doc`);
  assert.is.not(get.headers.etag, direct.headers.etag);
  const blobRoot = join(proxy.backend, 'blobs', 'sha256');
  const blobs = readdirSync(blobRoot).flatMap((d) => readdirSync(join(blobRoot, d)).map((f) => readFileSync(join(blobRoot, d, f), 'utf8')));
  assert.ok(blobs.includes(raw), 'the stored bytes are the upstream bytes');
  assert.is(up.count('GET', '/rw/doc'), 2, 'one upstream GET for the HEAD miss (rewrite kinds fill) + the direct check');
  await proxy.stop();
});

test('§10.28 no config and no client settings → 127.0.0.1 only, no instances, home page shows a minimal config', async () => {
  const home = tmpDir('home-');
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k))), HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache'), CACHE_PROXY_CONFIG: '', NPM_CONFIG_REGISTRY: '', CACHE_PROXY_APT_DIR: join(home, 'no-apt'), CACHE_PROXY_RPM_ETC_DIR: join(home, 'no-etc'),
    PATH: join(home, 'no-bin'), NPM_CONFIG_GLOBALCONFIG: join(home, 'no-npmrc'), NPM_CONFIG_USERCONFIG: join(home, 'no-npmrc') }; // no npm on PATH, no npm config
  const printed = spawnSync(process.execPath, [join(repoRoot, 'bin/cache-proxy.js'), 'serve', '--print-config'], { encoding: 'utf8', cwd: home, env, timeout: 20_000 });
  assert.is(printed.status, 0, printed.stderr);
  assert.match(printed.stdout, /bind: 127\.0\.0\.1:18080/);
  assert.match(printed.stdout, /instances: \[\]/);
});

test('dedicated bind listener: its own / page, every path to its instance; mode tasks run on the scheduler', async () => {
  const up = await startFixtureServer();
  up.set('/doc', { body: 'on the dedicated listener' });
  const proxy = await startProxy({
    config: `server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
plugins: ["${join(plugins, 'cache-proxy-mode-varytest')}"]
instances:
  - { name: d, enabled: true, varytest: { bind: "127.0.0.1:\${PORT2}", upstream: "${up.url}" } }
`,
  });
  const port2 = Number(/127\.0\.0\.1:(\d+)", upstream/.exec(readFileSync(proxy.configFile, 'utf8'))![1]);
  const page = await httpGet(`http://127.0.0.1:${port2}/`);
  assert.is(page.status, 200);
  assert.match(page.body.toString(), /varytest/);
  const doc = await httpGet(`http://127.0.0.1:${port2}/doc`);
  assert.is(doc.body.toString(), 'on the dedicated listener');
  assert.is((await httpGet(`${proxy.url}/doc`)).status, 404, 'not on the main listener');
  for (const until = Date.now() + 120_000; ;) {
    const ev = JSON.parse((await httpGet(`${proxy.url}/-/status/events`)).body.toString()) as { events: { task_type?: string; result: string }[] };
    if (ev.events.some((e) => e.task_type === 'tick' && e.result === 'success')) break;
    if (Date.now() > until) assert.unreachable('mode task never ran');
    await new Promise((r) => setTimeout(r, 500));
  }
  await proxy.stop();
});

test('§10.29 a plugin route naming an unknown kind → validate exit 1 naming package and kind', () => {
  const dir = tmpDir('plugin-');
  const f = join(dir, 'c.yaml');
  writeFileSync(f, `plugins: ["${join(plugins, 'cache-proxy-mode-badkind')}"]\ninstances: []\n`);
  const r = cli(['validate', '-c', f]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /cache-proxy-mode-badkind/);
  assert.match(r.stderr, /nosuchkind/);
});

test('§10.29 mode new demo → npm install && npm test pass offline; existing dir → exit 1', () => {
  const dir = tmpDir('scaffold-');
  const r = cli(['mode', 'new', 'demo', '--dir', dir]);
  assert.is(r.status, 0, r.stderr);
  const pkg = join(dir, 'cache-proxy-mode-demo');
  const env = { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
  // no lifecycle scripts: the linked cache-proxy's prepare/postinstall would rebuild dist/ and re-patch
  // node_modules under the test files running beside this one
  const inst = spawnSync('npm', ['install'], { cwd: pkg, encoding: 'utf8', env: { ...env, npm_config_ignore_scripts: 'true' }, timeout: 120_000 });
  assert.is(inst.status, 0, inst.stderr);
  const t = spawnSync('npm', ['test'], { cwd: pkg, encoding: 'utf8', env, timeout: 120_000 });
  assert.is(t.status, 0, t.stdout + t.stderr);
  assert.is(cli(['mode', 'new', 'demo', '--dir', dir]).status, 1);
  assert.is(cli(['mode', 'new', 'file', '--dir', dir]).status, 1);
});

test.after(cleanupAll);
test.run();
