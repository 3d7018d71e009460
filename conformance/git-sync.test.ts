// git mode while the upstream changes (git spec G7 sync without 503, G8 fresh_for, G9 force push with
// force_overwrite true and false): clients are served the published snapshot until the next one is
// complete, then the new one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ok } from './harness/client-run.js';
import { join } from 'node:path';
import { cleanupAll, tmpDir } from './index.js';
import { waitFor } from './harness/deb.js';
import { buildGitFixture, git, repoStatus, startGitProxy, startGitUpstream, type GitFixture, type GitUpstream } from './harness/git.js';
import { metricValue } from './harness/single-instance.js';

let fx: GitFixture, up: GitUpstream, T: string;
const run = (args: string[], cwd?: string) => git(args, { cwd, home: fx.home });
const out = async (args: string[], cwd?: string) => { const r = await run(args, cwd); ok(r, args.join(' ')); return r.stdout.trim(); };
const mainOf = async (url: string) => (await out(['ls-remote', url, 'refs/heads/main'])).split('\t')[0];
const repo = (path: string, upstream: string, extra = '') => `      repositories:\n        - { path: ${path}, upstream: "${upstream}"${extra} }\n`;

test.before(async () => {
  fx = buildGitFixture();
  up = await startGitUpstream(fx.root);
  T = tmpDir('gits-');
});
test.after(cleanupAll);

test('G7 sync, no 503: 5 parallel clones during a slow sync (upload-pack held ≥ 5 s) get the old tip; after it, pull gets the new commit', async () => {
  const { proxy, url } = await startGitProxy(`${repo('demo', `${up.url}/demo.git`)}      sync_interval: 2s\n`);
  ok(await run(['clone', `${url}/demo`, join(T, 'c1')]), 'clone');
  const old = fx.rev('demo', 'refs/heads/main');
  up.delay(5000);
  const release = up.hold(); // and beyond, until the parallel clones are done, whatever the machine's load
  const next = fx.commit('demo', 'pushed during G7');
  await waitFor('a sync under way', async () => (await repoStatus(proxy.url, 'demo'))?.state === 'syncing', 30_000);
  const snapshot = (await repoStatus(proxy.url, 'demo'))!.snapshot;
  const clones = await Promise.all([1, 2, 3, 4, 5].map((i) => run(['clone', '--quiet', `${url}/demo`, join(T, `par${i}`)])));
  clones.forEach((r, i) => ok(r, `parallel clone ${i + 1}`));
  for (let i = 1; i <= 5; i++) assert.is(await out(['rev-parse', 'HEAD'], join(T, `par${i}`)), old, 'the old tip while the sync runs');
  assert.is((await repoStatus(proxy.url, 'demo'))!.snapshot, snapshot, 'the clones overlapped the sync');
  assert.is(await metricValue(proxy.url, 'cache_proxy_requests_total', { instance: 'git', status: '503' }), 0);
  release();
  await waitFor('the new snapshot', async () => (await repoStatus(proxy.url, 'demo'))?.snapshot === (snapshot as number) + 1, 60_000);
  up.delay(0);
  ok(await run(['pull', '--quiet', '--ff-only'], join(T, 'c1')), 'git pull');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'c1')), next);
  assert.ok(await metricValue(proxy.url, 'cache_proxy_git_sync_success_total', { instance: 'git', repo: 'demo' }) >= 1);
  assert.ok(await metricValue(proxy.url, 'cache_proxy_git_last_sync_timestamp_seconds', { instance: 'git', repo: 'demo' }) > 0);
  await proxy.stop();
});

test('G8 freshness: fresh_for 1s, no interval; a push upstream is visible on the first ls-remote after 2 s', async () => {
  const { proxy, url } = await startGitProxy(`${repo('tools', `${up.url}/tools.git`)}      fresh_for: 1s\n`);
  assert.is(await mainOf(`${url}/tools`), fx.rev('tools', 'refs/heads/main'));
  const next = fx.commit('tools', 'pushed for G8');
  await new Promise((r) => setTimeout(r, 2000));
  assert.is(await mainOf(`${url}/tools`), next);
  await proxy.stop();
});

test('G9 force push: force_overwrite true takes the rewritten main; false keeps it and records an event', async () => {
  const a = await startGitProxy(`${repo('x', `${up.url}/team/x.git`)}      fresh_for: 1s\n`);
  const b = await startGitProxy(`${repo('x', `${up.url}/team/x.git`, ', force_overwrite: false')}      fresh_for: 1s\n`);
  const before = fx.rev('team/x', 'refs/heads/main');
  assert.is(await mainOf(`${a.url}/x`), before);
  assert.is(await mainOf(`${b.url}/x`), before);
  const rewritten = fx.forcePush('team/x', 'rewritten history');
  assert.is.not(rewritten, before);
  await new Promise((r) => setTimeout(r, 1500));
  assert.is(await mainOf(`${a.url}/x`), rewritten, 'force_overwrite: true');
  assert.is(await mainOf(`${b.url}/x`), before, 'force_overwrite: false');
  const events = await (await fetch(`${b.proxy.url}/-/status/events`)).json() as { events: { result: string; reason_code?: string; message?: string; target?: string }[] };
  const kept = events.events.find((e) => e.reason_code === 'non_fast_forward');
  assert.ok(kept, JSON.stringify(events.events.slice(0, 5)));
  assert.is(kept!.target, 'x');
  assert.match(kept!.message!, /refs\/heads\/main/);
  ok(await run(['clone', `${b.url}/x`, join(T, 'kept')]), 'clone of the kept history');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'kept')), before);
  await a.proxy.stop(); await b.proxy.stop();
});

test.run();
