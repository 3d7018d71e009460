// git mode with the real git client against a `git http-backend` upstream (git spec G1–G5, G12, G13):
// clones over protocol v2 and v0, shallow and partial clones, a warm clone with no upstream contact,
// several repositories under one mount, and a refused push.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ok } from './harness/client-run.js';
import { join } from 'node:path';
import { cleanupAll, httpGet, tmpDir, type ProxyHandle } from './index.js';
import { buildGitFixture, DEMO_EPOCH, git, startGitProxy, startGitUpstream, type GitFixture, type GitUpstream } from './harness/git.js';
import { metricValue } from './harness/single-instance.js';

let fx: GitFixture, up: GitUpstream, proxy: ProxyHandle, url: string, T: string;
const run = (args: string[], cwd?: string) => git(args, { cwd, home: fx.home });
const out = async (args: string[], cwd?: string) => { const r = await run(args, cwd); ok(r, args.join(' ')); return r.stdout.trim(); };

test.before(async () => {
  fx = buildGitFixture();
  up = await startGitUpstream(fx.root);
  ({ proxy, url } = await startGitProxy(`      repositories:
        - { path: demo, upstream: "${up.url}/demo.git" }
        - { path: tools, upstream: "${up.url}/tools.git" }
      upstream_base: "${up.url}"
      allow: ["team/*"]
`));
  T = tmpDir('gitc-');
});
test.after(cleanupAll);

test('G1 clone over protocol v2: tip, fsck --strict, ls-remote equal to the upstream\'s', async () => {
  const r = await git(['clone', `${url}/demo`, join(T, 'c1')], { home: fx.home, env: { GIT_TRACE_PACKET: '1' } });
  ok(r, 'git clone');
  assert.ok(r.out.includes('< version 2'), 'the client spoke protocol v2');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'c1')), fx.rev('demo', 'refs/heads/main'));
  ok(await run(['fsck', '--strict'], join(T, 'c1')), 'git fsck --strict');
  assert.is(await out(['ls-remote', `${url}/demo`]), await out(['ls-remote', `${up.url}/demo.git`]));
  assert.is(await out(['rev-parse', 'origin/dev'], join(T, 'c1')), fx.rev('demo', 'refs/heads/dev'));
  assert.is(await out(['cat-file', '-t', 'v1.0'], join(T, 'c1')), 'tag', 'the annotated tag came along');
  assert.is(await metricValue(proxy.url, 'cache_proxy_git_clone_success_total', { instance: 'git', repo: 'demo' }), 1);
  assert.ok(await metricValue(proxy.url, 'cache_proxy_requests_total', { instance: 'git', kind: 'pack' }) >= 1, 'git requests count as requests');
});

test('G2 clone over protocol v0: same tip, fsck clean, same refs', async () => {
  const r = await git(['-c', 'protocol.version=0', 'clone', `${url}/demo`, join(T, 'c2')], { home: fx.home, env: { GIT_TRACE_PACKET: '1' } });
  ok(r, 'git clone (v0)');
  assert.not.ok(r.out.includes('< version 2'), 'no v2 exchange');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'c2')), fx.rev('demo', 'refs/heads/main'));
  ok(await run(['fsck', '--strict'], join(T, 'c2')), 'git fsck --strict');
  assert.is(await out(['-c', 'protocol.version=0', 'ls-remote', `${url}/demo`]), await out(['ls-remote', `${up.url}/demo.git`]));
  assert.ok(await metricValue(proxy.url, 'cache_proxy_git_requests_total', { instance: 'git', repo: 'demo', protocol: 'v0' }) >= 2);
});

test('advertisements: v0 with the service preamble, v2 without; agent cache-proxy; HEAD symref', async () => {
  const v0 = await httpGet(`${url}/demo/info/refs?service=git-upload-pack`);
  assert.is(v0.status, 200);
  assert.is(v0.headers['content-type'], 'application/x-git-upload-pack-advertisement');
  assert.is(v0.headers['cache-control'], 'no-cache');
  const t0 = v0.body.toString('latin1');
  assert.ok(t0.startsWith('001e# service=git-upload-pack\n0000'), t0.slice(0, 60));
  assert.match(t0, /symref=HEAD:refs\/heads\/main/);
  assert.match(t0, /agent=cache-proxy\//);
  assert.not.match(t0, /refs\/staging|refs\/namespaces/, 'only the snapshot\'s refs, without their namespace');
  const v2 = await httpGet(`${url}/demo.git/info/refs?service=git-upload-pack`, { headers: { 'git-protocol': 'version=2' } });
  assert.is(v2.status, 200);
  const t2 = v2.body.toString('latin1');
  assert.ok(t2.startsWith('000eversion 2\n'), t2.slice(0, 40));
  assert.match(t2, /ls-refs/);
  assert.match(t2, /fetch=[^\n]*shallow[^\n]*filter/);
});

test('G3 shallow: --depth 1, then --deepen 5; --shallow-since keeps only newer commits (as the upstream does)', async () => {
  ok(await run(['clone', '--depth', '1', `${url}/demo`, join(T, 's')]), 'clone --depth 1');
  assert.is(await out(['rev-parse', '--is-shallow-repository'], join(T, 's')), 'true');
  assert.is(await out(['rev-list', '--count', 'HEAD'], join(T, 's')), '1');
  ok(await run(['fetch', '--deepen', '5'], join(T, 's')), 'fetch --deepen 5');
  assert.is(await out(['rev-list', '--count', 'HEAD'], join(T, 's')), '6');
  const since = DEMO_EPOCH + 39.5 * 86_400;
  ok(await run(['clone', `--shallow-since=${since}`, `${url}/demo`, join(T, 'since')]), 'clone --shallow-since');
  ok(await run(['clone', `--shallow-since=${since}`, `${up.url}/demo.git`, join(T, 'since-direct')]), 'clone --shallow-since (upstream)');
  assert.is(await out(['rev-list', '--count', 'HEAD'], join(T, 'since')), '10');
  assert.is(await out(['rev-list', '--count', 'HEAD'], join(T, 'since-direct')), '10');
  const dates = (await out(['log', '--format=%ct'], join(T, 'since'))).split('\n').map(Number);
  assert.ok(dates.every((d) => d >= since), 'only commits newer than the date');
});

test('G4 partial: --filter=blob:none, then checkout of the other branch; lazy blob fetches go through the proxy', async () => {
  const before = up.requests.length;
  const fetches = await metricValue(proxy.url, 'cache_proxy_git_requests_total', { instance: 'git', repo: 'demo', service: 'fetch' });
  ok(await run(['clone', '--filter=blob:none', `${url}/demo`, join(T, 'p')]), 'clone --filter=blob:none');
  const afterClone = await metricValue(proxy.url, 'cache_proxy_git_requests_total', { instance: 'git', repo: 'demo', service: 'fetch' });
  assert.is(await out(['config', 'remote.origin.promisor'], join(T, 'p')), 'true');
  ok(await run(['checkout', 'dev'], join(T, 'p')), 'checkout dev');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'p')), fx.rev('demo', 'refs/heads/dev'));
  assert.ok(await metricValue(proxy.url, 'cache_proxy_git_requests_total', { instance: 'git', repo: 'demo', service: 'fetch' }) > afterClone, 'the checkout fetched blobs through the proxy');
  assert.ok(afterClone > fetches);
  assert.is(up.requests.length, before, 'served from the mirror');
});

test('G5 warm: a second clone makes 0 upstream requests', async () => {
  const before = up.requests.length;
  ok(await run(['clone', `${url}/demo`, join(T, 'c5')]), 'git clone (warm)');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'c5')), fx.rev('demo', 'refs/heads/main'));
  assert.is(up.requests.length, before, `upstream saw: ${up.requests.slice(before).map((x) => `${x.method} ${x.path}`).join(', ')}`);
});

test('G12 many repositories: tools.git and team/x.git clone; other/y.git → 404 with 0 upstream requests', async () => {
  ok(await run(['clone', `${url}/tools.git`, join(T, 'tools')]), 'clone tools.git');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'tools')), fx.rev('tools', 'refs/heads/main'));
  ok(await run(['clone', `${url}/team/x.git`, join(T, 'x')]), 'clone team/x.git');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'x')), fx.rev('team/x', 'refs/heads/main'));
  ok(await run(['clone', `${url}/team/x`, join(T, 'x2')]), 'clone team/x (no .git): the same mirror');
  assert.is(await metricValue(proxy.url, 'cache_proxy_git_clone_success_total', { instance: 'git', repo: 'team/x' }), 1);
  const r = await run(['clone', `${url}/other/y.git`, join(T, 'y')]);
  assert.is.not(r.code, 0);
  const h = await httpGet(`${url}/other/y.git/info/refs?service=git-upload-pack`);
  assert.is(h.status, 404);
  assert.match(h.body.toString(), /repository not found/);
  assert.is(up.requests.filter((x) => x.path.includes('other')).length, 0);
});

test('G13 push: refused with 403 read-only mirror; dumb paths 404, other methods 405', async () => {
  const c1 = join(T, 'c1');
  ok(await run(['commit', '--allow-empty', '--quiet', '-m', 'local'], c1), 'local commit');
  const r = await run(['push', 'origin', 'HEAD:main'], c1);
  assert.is.not(r.code, 0);
  assert.match(r.out, /403/);
  const adv = await httpGet(`${url}/demo/info/refs?service=git-receive-pack`);
  assert.is(adv.status, 403);
  assert.match(adv.body.toString(), /read-only mirror/);
  assert.is((await httpGet(`${url}/demo/git-receive-pack`, { method: 'POST' })).status, 403);
  for (const p of ['demo/info/refs', 'demo/HEAD', 'demo/objects/info/packs']) {
    const d = await httpGet(`${url}/${p}`);
    assert.is(d.status, 404, p);
    assert.match(d.body.toString(), /smart HTTP only/);
  }
  assert.is((await httpGet(`${url}/demo/git-upload-pack`, { method: 'PUT' })).status, 405);
  assert.is(fx.rev('demo', 'refs/heads/main'), await out(['rev-parse', 'origin/main'], c1), 'the upstream is untouched');
});

test.run();
