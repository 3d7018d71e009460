// git mode's upstream access (git spec G10 credentials from $ENV, G11 http and socks5 proxies) with the real
// git client, tinyproxy and microsocks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ok } from './harness/client-run.js';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, httpGet, repoRoot, tmpDir } from './index.js';
import { missingTool, startMicrosocks, startTinyproxy } from './harness/forward-proxies.js';
import { buildGitFixture, git, startGitProxy, startGitUpstream, type GitFixture } from './harness/git.js';
import { singleInstanceConfig } from './harness/single-instance.js';

let fx: GitFixture, T: string;
const run = (args: string[], cwd?: string) => git(args, { cwd, home: fx.home });
const out = async (args: string[], cwd?: string) => { const r = await run(args, cwd); ok(r, args.join(' ')); return r.stdout.trim(); };
const AUTH = '      auth: { type: basic, username: bot, password: $GIT_FIXTURE_PASSWORD }\n';

test.before(() => {
  fx = buildGitFixture();
  T = tmpDir('gita-');
});
test.after(cleanupAll);

test('G10 auth: password from $GIT_FIXTURE_PASSWORD; a wrong one → 502 authentication failed; unset → validate names the key', async () => {
  const up = await startGitUpstream(fx.root);
  up.auth('bot', 'fixture-secret');
  const block = `      upstream: "${up.url}/tools.git"\n${AUTH}`;
  const good = await startGitProxy(block, { GIT_FIXTURE_PASSWORD: 'fixture-secret' });
  ok(await run(['clone', good.url, join(T, 'authed')]), 'clone with credentials');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'authed')), fx.rev('tools', 'refs/heads/main'));
  assert.not.match(good.proxy.logs(), /fixture-secret/);

  const bad = await startGitProxy(block, { GIT_FIXTURE_PASSWORD: 'wrong' });
  const r = await run(['clone', bad.url, join(T, 'refused')]);
  assert.is.not(r.code, 0);
  const h = await httpGet(`${bad.url}/info/refs?service=git-upload-pack`);
  assert.is(h.status, 502);
  assert.match(h.body.toString(), /authentication failed/);
  const summary = await (await fetch(`${bad.proxy.url}/-/status/summary`)).text();
  assert.match(summary, /authentication failed/);
  assert.not.match(summary + bad.proxy.logs(), /wrong|d3Jvbmc/, 'the password is never shown');

  const dir = tmpDir('gitv-');
  const file = join(dir, 'cache-proxy.yaml');
  writeFileSync(file, singleInstanceConfig({ mode: 'git', block }).replace(/\$\{PORT\}/g, '1').replace(/\$\{BACKEND\}/g, join(dir, 'b')));
  const env = { ...process.env };
  delete env.GIT_FIXTURE_PASSWORD;
  const v = spawnSync(process.execPath, [join(repoRoot, 'bin/cache-proxy.js'), 'validate', '-c', file], { encoding: 'utf8', env, timeout: 30_000 });
  assert.is.not(v.status, 0);
  assert.match(v.stdout + v.stderr, /instances\[0\]\.git\.auth\.password/);
  assert.match(v.stdout + v.stderr, /GIT_FIXTURE_PASSWORD/);
  await good.proxy.stop(); await bad.proxy.stop(); await up.stop();
});

const tinyMissing = missingTool('tinyproxy', 'tinyproxy');
const socksMissing = missingTool('microsocks', 'microsocks');

if (tinyMissing) console.log(`  G11 http proxy skipped: ${tinyMissing}`);
else test('G11 http proxy (tinyproxy): clone succeeds; every upstream request went through the proxy', async () => {
  const up = await startGitUpstream(fx.root);
  const tp = await startTinyproxy();
  const { proxy, url } = await startGitProxy(`      upstream: "${up.url}/demo.git"\n      proxy: "${tp.url}"\n`);
  ok(await run(['clone', url, join(T, 'via-http')]), 'clone through tinyproxy');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'via-http')), fx.rev('demo', 'refs/heads/main'));
  const log = tp.log();
  const proxied = [...log.matchAll(/Request \(file descriptor \d+\): (\w+) (\S+) HTTP/g)].map((m) => `${m[1]} ${new URL(m[2]!).pathname}`);
  assert.ok(up.requests.length > 0);
  assert.equal(proxied.sort(), up.requests.map((x) => `${x.method} ${x.path}`).sort(), 'each upstream request is in the proxy log');
  assert.is((log.match(/Established connection to host "127\.0\.0\.1"/g) ?? []).length, up.connections(), 'every upstream connection came from the proxy');
  await proxy.stop(); await tp.stop(); await up.stop();
});

if (socksMissing) console.log(`  G11 socks5 proxy skipped: ${socksMissing}`);
else test('G11 socks5 proxy (microsocks): clone succeeds; every upstream connection came through the proxy', async () => {
  const up = await startGitUpstream(fx.root);
  const ms = await startMicrosocks();
  const { proxy, url } = await startGitProxy(`      upstream: "${up.url}/demo.git"\n      proxy: "${ms.url}"\n`);
  ok(await run(['clone', url, join(T, 'via-socks')]), 'clone through microsocks');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'via-socks')), fx.rev('demo', 'refs/heads/main'));
  const tunnels = (ms.log().match(new RegExp(`connected to 127\\.0\\.0\\.1:${up.port}\\b`, 'g')) ?? []).length;
  assert.ok(up.connections() > 0);
  assert.is(tunnels, up.connections(), `every upstream connection came from the proxy:\n${ms.log()}`);
  await proxy.stop(); await ms.stop(); await up.stop();
});

test.run();
