// The isomorphic-git backend's upstream access (git spec G10 credentials from $ENV, G11 http and socks5
// proxies) with the real git client, tinyproxy and microsocks: the same settings as the git backend.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ok } from './harness/client-run.js';
import { join } from 'node:path';
import { cleanupAll, httpGet, tmpDir } from './index.js';
import { missingTool, startMicrosocks, startTinyproxy } from './harness/forward-proxies.js';
import { buildGitFixture, git, startGitProxy, startGitUpstream, type GitFixture } from './harness/git.js';

let fx: GitFixture, T: string;
const run = (args: string[], cwd?: string) => git(args, { cwd, home: fx.home });
const out = async (args: string[], cwd?: string) => { const r = await run(args, cwd); ok(r, args.join(' ')); return r.stdout.trim(); };
const ISO = '      backend: isomorphic-git\n';

test.before(() => {
  fx = buildGitFixture();
  T = tmpDir('gitia-');
});
test.after(cleanupAll);

test('G10 auth: password from $GIT_FIXTURE_PASSWORD; a wrong one → 502 authentication failed, never shown', async () => {
  const up = await startGitUpstream(fx.root);
  up.auth('bot', 'fixture-secret');
  const block = `${ISO}      upstream: "${up.url}/tools.git"\n      auth: { type: basic, username: bot, password: $GIT_FIXTURE_PASSWORD }\n`;
  const good = await startGitProxy(block, { GIT_FIXTURE_PASSWORD: 'fixture-secret' });
  ok(await run(['clone', good.url, join(T, 'authed')]), 'clone with credentials');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'authed')), fx.rev('tools', 'refs/heads/main'));
  assert.not.match(good.proxy.logs(), /fixture-secret/);
  const bad = await startGitProxy(block, { GIT_FIXTURE_PASSWORD: 'wrong' });
  assert.is.not((await run(['clone', bad.url, join(T, 'refused')])).code, 0);
  const h = await httpGet(`${bad.url}/info/refs?service=git-upload-pack`);
  assert.is(h.status, 502);
  assert.match(h.body.toString(), /authentication failed/);
  const summary = await (await fetch(`${bad.proxy.url}/-/status/summary`)).text();
  assert.not.match(summary + bad.proxy.logs(), /wrong|d3Jvbmc/, 'the password is never shown');
  await good.proxy.stop(); await bad.proxy.stop(); await up.stop();
});

const tinyMissing = missingTool('tinyproxy', 'tinyproxy');
const socksMissing = missingTool('microsocks', 'microsocks');

if (tinyMissing) console.log(`  G11 http proxy skipped: ${tinyMissing}`);
else test('G11 http proxy (tinyproxy): clone succeeds; every upstream connection came from the proxy', async () => {
  const up = await startGitUpstream(fx.root);
  const tp = await startTinyproxy();
  const { proxy, url } = await startGitProxy(`${ISO}      upstream: "${up.url}/demo.git"\n      proxy: "${tp.url}"\n`);
  ok(await run(['clone', url, join(T, 'via-http')]), 'clone through tinyproxy');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'via-http')), fx.rev('demo', 'refs/heads/main'));
  assert.ok(up.requests.length >= 2, 'the refs were listed and fetched');
  assert.ok(up.connections() > 0);
  assert.is((tp.log().match(/Established connection to host "127\.0\.0\.1"/g) ?? []).length, up.connections(), `every upstream connection came from the proxy:\n${tp.log()}`);
  await proxy.stop(); await tp.stop(); await up.stop();
});

if (socksMissing) console.log(`  G11 socks5 proxy skipped: ${socksMissing}`);
else test('G11 socks5 proxy (microsocks): clone succeeds; every upstream connection came through the proxy', async () => {
  const up = await startGitUpstream(fx.root);
  const ms = await startMicrosocks();
  const { proxy, url } = await startGitProxy(`${ISO}      upstream: "${up.url}/demo.git"\n      proxy: "${ms.url}"\n`);
  ok(await run(['clone', url, join(T, 'via-socks')]), 'clone through microsocks');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'via-socks')), fx.rev('demo', 'refs/heads/main'));
  const tunnels = (ms.log().match(new RegExp(`connected to 127\\.0\\.0\\.1:${up.port}\\b`, 'g')) ?? []).length;
  assert.ok(up.connections() > 0);
  assert.is(tunnels, up.connections(), `every upstream connection came from the proxy:\n${ms.log()}`);
  await proxy.stop(); await ms.stop(); await up.stop();
});

test.run();
