// The README's first command on a machine with no configuration file: `cache-proxy serve` serves the built-in
// default derived from this machine's clients (npm's whole config chain, apt sources) and says so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, repoRoot, tmpDir } from './harness/launcher.js';
import { track, cleanupAll } from './harness/cleanup.js';
import { readSchema } from '../engine/paths.js';

const bin = join(repoRoot, 'bin/cache-proxy.js');

/** a machine of its own: temp HOME, npm registry only in npm's global config, deb822 apt sources */
function machine() {
  const home = tmpDir('first-run-');
  mkdirSync(join(home, 'apt', 'sources.list.d'), { recursive: true });
  writeFileSync(join(home, 'apt', 'sources.list.d', 'debian.sources'),
    'Types: deb\nURIs: http://deb.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://deb.example/debian-security\nSuites: bookworm-security\nComponents: main\n');
  writeFileSync(join(home, 'global-npmrc'), 'registry=http://registry.example/npm/\n');
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k))),
    HOME: home, XDG_CONFIG_HOME: join(home, '.config'), CACHE_PROXY_CONFIG: '', CACHE_PROXY_APT_DIR: join(home, 'apt'), CACHE_PROXY_RPM_ETC_DIR: join(home, 'no-etc'),
    NPM_CONFIG_GLOBALCONFIG: join(home, 'global-npmrc'), NPM_CONFIG_USERCONFIG: join(home, '.npmrc'),
  };
  return { home, env };
}

const run = (args: string[], cwd: string, env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, env, timeout: 60_000 });

test('serve --print-config: npm from the global npm config, apt archives named after what they serve, the one default storage folder', () => {
  const m = machine();
  const r = run(['serve', '--print-config'], m.home, m.env);
  assert.is(r.status, 0, r.stderr);
  const storage = (readSchema('config') as { properties: { server: { properties: { backend: { default: string } } } } }).properties.server.properties.backend.default;
  assert.is(storage, '~/.cache/cache-proxy');
  assert.ok(r.stdout.includes(`  backend: ${storage}\n`), r.stdout);
  assert.match(r.stdout, /- name: npm\n {4}enabled: true\n {4}npm:\n {6}route:\n {8}path: \/npm\n {6}upstream: http:\/\/registry\.example\/npm\n/);
  assert.equal([...r.stdout.matchAll(/- name: (\S+)/g)].map((x) => x[1]), ['npm', 'debian', 'debian-security']);
  assert.ok(r.stdout.includes('path: /debian-security\n      upstreams:\n        - http://deb.example/debian-security\n'), r.stdout);
});

test('README: the first command has no -c, and the minimal config shows the default storage folder', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  assert.match(readme, /```sh\nnpm ci && npx cache-proxy serve {2,}#/);
  assert.ok(readme.includes('  backend: ~/.cache/cache-proxy'), 'the minimal configuration names the default storage folder');
  assert.ok(readme.includes('| `server.backend` | string | `"~/.cache/cache-proxy"` |'), 'the reference table names the same one');
});

test('serve with no configuration file: says so, lists each instance with its URL and client setup line, stores under ~/.cache', async () => {
  const m = machine();
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'serve', '--bind', `127.0.0.1:${port}`], { cwd: m.home, env: m.env, stdio: ['ignore', 'pipe', 'pipe'] });
  track(() => { child.kill('SIGTERM'); }, () => { child.kill('SIGKILL'); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let out = '', err = '';
  child.stderr.on('data', (d) => { err += d; });
  const printed = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no startup message within 60 s:\n${out}\n${err}`)), 60_000);
    child.stdout.on('data', (d) => { out += d; if (/^storage: .*\n/m.test(out)) { clearTimeout(t); resolve(out); } });
    void exited.then((c) => { clearTimeout(t); reject(new Error(`exited with ${c}:\n${out}\n${err}`)); });
  });
  const url = `http://127.0.0.1:${port}`;
  assert.equal(printed.split('\n').slice(0, 5), [
    'no configuration file: using the built-in default',
    `  npm              ${url}/npm              npm config set registry ${url}/npm/`,
    `  debian           ${url}/debian           deb ${url}/debian <suite> main`,
    `  debian-security  ${url}/debian-security  deb ${url}/debian-security <suite> main`,
    `storage: ~/.cache/cache-proxy (${join(m.home, '.cache', 'cache-proxy')})`,
  ]);
  assert.ok(existsSync(join(m.home, '.cache', 'cache-proxy', 'blobs')), 'the store is under the home directory');
  const home = await fetch(`${url}/`).then((r) => r.text());
  assert.ok(home.includes(`npm config set registry ${url}/npm/`), 'the home page shows the same setup line');
  process.kill(child.pid!, 'SIGTERM');
  assert.is(await exited, 0);
});

for (const command of ['serve', 'validate']) {
  test(`${command} -c of a missing file: names the file and points at the built-in default`, () => {
    const m = machine();
    const r = run([command, '-c', 'missing.yaml'], m.home, m.env);
    assert.is(r.status, 1);
    assert.is(r.stderr, `missing.yaml: no such configuration file (\`cache-proxy ${command}\` without -c ${command === 'serve' ? 'serves' : 'checks'} the built-in default, derived from this machine's client settings)\n`);
  });
}

test.after(cleanupAll);

test.run();
