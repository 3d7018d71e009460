// git mode without its upstream (git spec G6 offline, G14 restart): the published snapshot keeps serving
// full and shallow clones, a failed on-request sync included, and comes back from disk after a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ok } from './harness/client-run.js';
import { join } from 'node:path';
import { cleanupAll, tmpDir } from './index.js';
import { buildGitFixture, git, repoStatus, startGitProxy, startGitUpstream, type GitFixture } from './harness/git.js';
import { metricValue } from './harness/single-instance.js';

let fx: GitFixture, T: string;
const run = (args: string[], cwd?: string) => git(args, { cwd, home: fx.home });
const out = async (args: string[], cwd?: string) => { const r = await run(args, cwd); ok(r, args.join(' ')); return r.stdout.trim(); };

test.before(() => {
  fx = buildGitFixture();
  T = tmpDir('gito-');
});
test.after(cleanupAll);

test('G6 offline: upstream stopped, fresh_for due; clone and --depth 1 clone still succeed with the same tips', async () => {
  const up = await startGitUpstream(fx.root);
  const { proxy, url } = await startGitProxy(`      upstream: "${up.url}/demo.git"\n      fresh_for: 1s\n`);
  ok(await run(['clone', url, join(T, 'warm')]), 'clone (warm-up)');
  const tip = fx.rev('demo', 'refs/heads/main');
  await up.stop();
  await new Promise((r) => setTimeout(r, 1200));
  ok(await run(['clone', url, join(T, 'c1')]), 'clone with the upstream down');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'c1')), tip);
  ok(await run(['fsck', '--strict'], join(T, 'c1')), 'fsck');
  ok(await run(['clone', '--depth', '1', url, join(T, 's')]), 'clone --depth 1 with the upstream down');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 's')), tip);
  assert.is(await out(['rev-list', '--count', 'HEAD'], join(T, 's')), '1');
  const row = await repoStatus(proxy.url, '/');
  assert.is(row?.state, 'ready');
  assert.match(row?.error ?? '', /failed/, 'the failed sync is shown');
  assert.ok(await metricValue(proxy.url, 'cache_proxy_git_sync_failed_total', { instance: 'git' }) >= 1);
  assert.is(await metricValue(proxy.url, 'cache_proxy_requests_total', { instance: 'git', status: '503' }), 0);
  await proxy.stop();
});

test('G14 restart: warm, proxy and upstream stopped, proxy started: clone from the mirror on disk', async () => {
  const up = await startGitUpstream(fx.root);
  const { proxy, url } = await startGitProxy(`      repositories:\n        - { path: demo, upstream: "${up.url}/demo.git" }\n`);
  ok(await run(['clone', `${url}/demo`, join(T, 'before')]), 'clone (warm-up)');
  const row = await repoStatus(proxy.url, 'demo');
  assert.is(row?.state, 'ready');
  assert.is(row?.refs, 3, 'main, dev, v1.0');
  assert.match(row!.size, /MiB$/);
  await up.stop();
  await proxy.restart();
  ok(await run(['clone', `${url}/demo`, join(T, 'after')]), 'clone after the restart');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'after')), fx.rev('demo', 'refs/heads/main'));
  ok(await run(['fsck', '--strict'], join(T, 'after')), 'fsck');
  assert.equal((await repoStatus(proxy.url, 'demo'))?.snapshot, row!.snapshot, 'the same snapshot, restored');
  const home = await (await fetch(`${proxy.url}/`)).text();
  assert.match(home, /demo/);
  assert.match(home, /snapshot_age|snapshot age/);
});

test.run();
