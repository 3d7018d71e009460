// git mode, identical fetches in flight (issue item "beyond the peers"): 8 parallel clones of one repository
// through a warm proxy get the bytes of one upload-pack run per distinct exchange. The proxy holds every new
// run until 8 identical requests wait for it (a test-only setting), so the sharing does not depend on timing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { cleanupAll, httpGet, tmpDir, type ProxyHandle } from './index.js';
import { buildGitFixture, git, startGitProxy, startGitUpstream, type GitFixture, type GitUpstream } from './harness/git.js';
import { metricValue } from './harness/single-instance.js';

const CLONES = 8;
let fx: GitFixture, up: GitUpstream, proxy: ProxyHandle, url: string, T: string;
const ok = (r: { code: number; out: string }, what: string) => assert.is(r.code, 0, `${what} failed:\n${r.out}`);
const out = async (args: string[], cwd?: string) => { const r = await git(args, { cwd, home: fx.home }); ok(r, args.join(' ')); return r.stdout.trim(); };
const metric = (name: string, labels: Record<string, string> = {}) => metricValue(proxy.url, name, { instance: 'git', repo: 'demo', ...labels });

test.before(async () => {
  fx = buildGitFixture();
  up = await startGitUpstream(fx.root);
  ({ proxy, url } = await startGitProxy(`      repositories:\n        - { path: demo, upstream: "${up.url}/demo.git" }\n`, { CACHE_PROXY_TEST_GIT_SHARE_HOLD: String(CLONES) }));
  T = tmpDir('gitshare-');
});
test.after(cleanupAll);

test(`${CLONES} parallel clones through a warm proxy: all fsck clean, one upload-pack run per distinct exchange, the others joined`, async () => {
  // warm: the advertisement clones the mirror (advertisements are never shared, so nothing is held)
  assert.is((await httpGet(`${url}/demo/info/refs?service=git-upload-pack`, { headers: { 'git-protocol': 'version=2' } })).status, 200);
  const upstreamBefore = up.requests.length;
  const clones = await Promise.all(Array.from({ length: CLONES }, (_, i) => git(['clone', '--quiet', `${url}/demo`, join(T, `c${i}`)], { home: fx.home })));
  clones.forEach((r, i) => ok(r, `clone ${i}`));
  const tip = fx.rev('demo', 'refs/heads/main');
  for (let i = 0; i < CLONES; i++) {
    assert.is(await out(['rev-parse', 'HEAD'], join(T, `c${i}`)), tip);
    await out(['fsck', '--strict'], join(T, `c${i}`));
  }
  const posts = await metric('cache_proxy_git_requests_total', { service: 'ls-refs' }) + await metric('cache_proxy_git_requests_total', { service: 'fetch' });
  const runs = await metric('cache_proxy_git_pack_runs_total');
  const joins = await metric('cache_proxy_git_pack_joins_total');
  assert.is(posts, 2 * CLONES, 'each clone posted ls-refs and one fetch');
  assert.is(runs + joins, posts, 'every exchange either ran upload-pack or joined a run');
  assert.ok(runs <= 2, `one run for the ls-refs, one for the fetch (got ${runs})`);
  assert.ok(joins >= 2 * (CLONES - 1), `the other clones joined (got ${joins})`);
  assert.is(up.requests.length, upstreamBefore, 'served from the mirror');
});

test.run();
