// Scale-out, per-node state: 3 proxy nodes (each on its own disk) with Redis. A git repository's mirror and a
// deb root's generations are kept by the node that owns the repository / root (owner keys): the other nodes
// relay the whole request one hop, so the upstream sees one mirror clone and one metadata build. A key one
// node learned is gone (404) is shared through Redis, so HEAD misses (never forwarded) ask the upstream once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { startFixtureServer, httpGet, cleanupAll, tmpDir, buildDebFixture, type FixtureServer, type ProxyHandle } from './index.js';
import { startRedis } from './harness/redis.js';
import { clusterStatus } from './harness/cluster.js';
import { freePort, startProxy } from './harness/launcher.js';
import { ok } from './harness/client-run.js';
import { buildGitFixture, git, startGitUpstream, type GitFixture, type GitUpstream } from './harness/git.js';
import { metricValue } from './harness/single-instance.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let nodes: ProxyHandle[] = [];
let files: FixtureServer, debUp: FixtureServer, gitUp: GitUpstream, gfx: GitFixture;

function config(self: string, all: string[], redis: string): string {
  return `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
metrics: { path: /metrics }
log: { level: warn }
cluster:
  self: ${self}
  nodes: [${all.join(', ')}]
  redis: ${redis}
  probe_interval: 300ms
  probe_timeout: 2s
  down_after: 2
instances:
  - name: files
    enabled: true
    negative_ttl: 1m
    file:
      route: { path: /files }
      upstreams: [${files.url}]
      default_policy: immutable
      busy_policy: join
  - name: debian
    enabled: true
    deb:
      route: { path: /deb }
      upstreams: [${debUp.url}]
      refresh_interval: 1h
  - name: git
    enabled: true
    git:
      route: { path: /git }
      upstream_base: "${gitUp.url}"
      allow: ["*"]
      fresh_for: 10m
`;
}

test.before(async () => {
  gfx = buildGitFixture();
  gitUp = await startGitUpstream(gfx.root);
  files = await startFixtureServer();
  debUp = await startFixtureServer({ root: buildDebFixture({ dataMiB: 1 }).tree('v1') });
  const redis = await startRedis();
  const ports = await Promise.all([0, 1, 2].map(() => freePort()));
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  for (const [i, port] of ports.entries()) nodes.push(await startProxy({ port, config: config(urls[i]!, urls, redis.url), args: ['--no-supervisor'] }));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = await Promise.all(nodes.map(clusterStatus));
    if (s.every((x) => x.healthy.length === 3 && x.redis.state === 'ready')) break;
    if (Date.now() > deadline) assert.unreachable('the 3 nodes never saw each other and Redis');
    await sleep(100);
  }
});
test.after(cleanupAll);

test('git: one repository cloned through all 3 nodes → one mirror clone upstream, every clone at the upstream tip', async () => {
  const T = tmpDir('gitcl-');
  const upstreamPacks = () => gitUp.requests.filter((r) => r.path === '/tools.git/git-upload-pack').length;
  const upstreamAll = () => gitUp.requests.filter((r) => r.path.startsWith('/tools.git/')).length;
  const counts: number[] = [];
  for (const [i, n] of nodes.entries()) {
    const dir = join(T, `c${i}`);
    ok(await git(['clone', `${n.url}/git/tools`, dir], { home: gfx.home }), `git clone through node ${i}`);
    const head = await git(['rev-parse', 'HEAD'], { cwd: dir, home: gfx.home });
    assert.is(head.stdout.trim(), gfx.rev('tools', 'refs/heads/main'), `node ${i}: the upstream tip`);
    counts.push(upstreamAll());
  }
  const clones = await Promise.all(nodes.map((n) => metricValue(n.url, 'cache_proxy_git_clone_success_total', { instance: 'git', repo: 'tools' }).catch(() => 0)));
  console.log(`cluster git: 3 clones through 3 nodes — upstream requests after each clone ${counts.join('/')}, upload-pack POSTs ${upstreamPacks()}, mirror clones per node ${clones.join('/')}`);
  assert.is(clones.reduce((a, b) => a + b, 0), 1, 'one node holds the mirror');
  assert.is(counts[2], counts[0], 'the second and third clones made no upstream request');
});

test('deb: a root asked through all 3 nodes → its metadata fetched once, the same bytes everywhere', async () => {
  const paths = ['dists/bookworm/InRelease', 'dists/bookworm/main/binary-amd64/Packages.xz'];
  const seen = new Map<string, Set<string>>();
  const after: number[] = [];
  for (const n of nodes) {
    for (const p of paths) {
      const r = await httpGet(`${n.url}/deb/${p}`);
      assert.is(r.status, 200, `${p} through ${n.url}`);
      seen.set(p, (seen.get(p) ?? new Set()).add(r.sha256));
    }
    after.push(debUp.requests.length);
  }
  const inRelease = debUp.count('GET', '/dists/bookworm/InRelease');
  console.log(`cluster deb: InRelease + Packages.xz × 3 nodes — upstream requests after each node ${after.join('/')}, InRelease GETs ${inRelease} (${debUp.requests.map((r) => `${r.method} ${r.path}`).join(', ')})`);
  for (const p of paths) assert.is(seen.get(p)!.size, 1, `${p}: one body on every node`);
  assert.is(inRelease, 1, 'one InRelease GET for the whole cluster');
  assert.ok(after[0]! > 0);
  assert.equal(after, [after[0], after[0], after[0]], 'the second and third nodes made no upstream request');
});

test('a 404 learned by one node is shared through Redis: HEAD and GET of a missing key through all 3 nodes → 1 upstream request each', async () => {
  for (const n of nodes) {
    const h = await httpGet(`${n.url}/files/missing-head.bin`, { method: 'HEAD' });
    assert.is(h.status, 404);
    await sleep(50); // the writer's SET is not awaited by its client
  }
  for (const n of nodes) assert.is((await httpGet(`${n.url}/files/missing-get.bin`)).status, 404);
  const heads = files.count('HEAD', '/missing-head.bin'), gets = files.count('GET', '/missing-get.bin');
  console.log(`cluster 404: 3 nodes — upstream HEADs ${heads}, upstream GETs ${gets}`);
  assert.is(heads, 1, 'one upstream HEAD for the cluster');
  assert.is(gets, 1, 'one upstream GET for the cluster');
});

test.run();
