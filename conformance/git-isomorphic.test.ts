// git mode with `backend: isomorphic-git` (no system git on the server side) in front of a `git http-backend`
// upstream, checked with the real git client: clones over protocol v2 and v0, an incremental fetch that
// sends only what the client lacks, --depth 1, --filter=blob:none, the snapshot served with the upstream
// stopped, and what the backend refuses (deepen of a shallow clone, --shallow-since, packs over
// max_pack_size) with a message naming `backend: git`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ok } from './harness/client-run.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, tmpDir, type ProxyHandle } from './index.js';
import { buildGitFixture, git, startGitProxy, startGitUpstream, type GitFixture, type GitUpstream } from './harness/git.js';
import { metricValue } from './harness/single-instance.js';
import { pktLine } from '../modes/git/pkt-line.js';

let fx: GitFixture, up: GitUpstream, proxy: ProxyHandle, url: string, T: string;
const run = (args: string[], cwd?: string) => git(args, { cwd, home: fx.home });
const out = async (args: string[], cwd?: string) => { const r = await run(args, cwd); ok(r, args.join(' ')); return r.stdout.trim(); };
const upstreamGit = (args: string[]) => fx.sh(args, join(fx.root, 'demo.git'));
/** the pack files of a clone, newest last, with their sizes */
const packs = (clone: string) => {
  const dir = join(clone, '.git', 'objects', 'pack');
  return readdirSync(dir).filter((f) => f.endsWith('.pack')).map((f) => ({ f, size: statSync(join(dir, f)).size, at: statSync(join(dir, f)).mtimeMs })).sort((a, b) => a.at - b.at);
};
/** the working tree has the upstream's bytes for every file of HEAD */
const sameFiles = async (clone: string, ref: string) => {
  for (const f of upstreamGit(['ls-tree', '--name-only', ref]).split('\n')) {
    assert.is(await out(['hash-object', f], clone), upstreamGit(['rev-parse', `${ref}:${f}`]), `${f} in ${clone}`);
  }
};
const keepPacks = ['-c', 'fetch.unpackLimit=1', '-c', 'transfer.unpackLimit=1'];

test.before(async () => {
  fx = buildGitFixture();
  up = await startGitUpstream(fx.root);
  ({ proxy, url } = await startGitProxy(`      backend: isomorphic-git\n      fresh_for: 1s\n      repositories:\n        - { path: demo, upstream: "${up.url}/demo.git" }\n`));
  T = tmpDir('giti-');
});
test.after(cleanupAll);

test('G1 clone over protocol v2: tip, fsck --strict, ls-remote, files, branches and the annotated tag', async () => {
  const r = await git([...keepPacks, 'clone', `${url}/demo`, join(T, 'c1')], { home: fx.home, env: { GIT_TRACE_PACKET: '1' } });
  ok(r, 'git clone');
  assert.ok(r.out.includes('< version 2'), 'the client spoke protocol v2');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'c1')), fx.rev('demo', 'refs/heads/main'));
  ok(await run(['fsck', '--strict'], join(T, 'c1')), 'git fsck --strict');
  assert.is(await out(['ls-remote', `${url}/demo`]), await out(['ls-remote', `${up.url}/demo.git`]));
  assert.is(await out(['rev-parse', 'origin/dev'], join(T, 'c1')), fx.rev('demo', 'refs/heads/dev'));
  assert.is(await out(['cat-file', '-t', 'v1.0'], join(T, 'c1')), 'tag');
  await sameFiles(join(T, 'c1'), 'refs/heads/main');
  assert.is(await metricValue(proxy.url, 'cache_proxy_git_clone_success_total', { instance: 'git', repo: 'demo' }), 1);
});

test('G2 clone over protocol v0: same tip, fsck clean, same refs and files', async () => {
  const r = await git([...keepPacks, '-c', 'protocol.version=0', 'clone', `${url}/demo`, join(T, 'c2')], { home: fx.home, env: { GIT_TRACE_PACKET: '1' } });
  ok(r, 'git clone (v0)');
  assert.not.ok(r.out.includes('< version 2'), 'no v2 exchange');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'c2')), fx.rev('demo', 'refs/heads/main'));
  ok(await run(['fsck', '--strict'], join(T, 'c2')), 'git fsck --strict');
  assert.is(await out(['-c', 'protocol.version=0', 'ls-remote', `${url}/demo`]), await out(['ls-remote', `${up.url}/demo.git`]));
  await sameFiles(join(T, 'c2'), 'refs/heads/main');
});

test('incremental fetch after a new upstream commit (v2 and v0): the haves keep the second pack small', async () => {
  const tip = fx.commit('demo', 'after the clones');
  await new Promise((r) => setTimeout(r, 1100)); // past fresh_for: the next request syncs first
  for (const [clone, proto] of [['c1', '2'], ['c2', '0']] as const) {
    const dir = join(T, clone);
    const first = packs(dir);
    assert.is(first.length, 1, 'the clone kept one pack');
    ok(await run([...keepPacks, '-c', `protocol.version=${proto}`, 'fetch', 'origin'], dir), `fetch (v${proto})`);
    assert.is(await out(['rev-parse', 'origin/main'], dir), tip);
    ok(await run(['fsck', '--strict'], dir), 'fsck after the fetch');
    const after = packs(dir);
    assert.is(after.length, 2, 'the fetch brought one pack');
    const second = after.find((p) => !first.some((f) => f.f === p.f))!;
    assert.ok(second.size * 100 < first[0]!.size, `second pack ${second.size} bytes vs first ${first[0]!.size}`);
    assert.ok(second.size < 4096, `only the new commit, its tree and blob: ${second.size} bytes`);
  }
});

test('G3 --depth 1 clone; deepening it and --shallow-since are refused naming backend: git', async () => {
  ok(await run(['clone', '--depth', '1', `${url}/demo`, join(T, 's')]), 'clone --depth 1');
  assert.is(await out(['rev-parse', '--is-shallow-repository'], join(T, 's')), 'true');
  assert.is(await out(['rev-list', '--count', 'HEAD'], join(T, 's')), '1');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 's')), fx.rev('demo', 'refs/heads/main'));
  ok(await run(['fsck'], join(T, 's')), 'fsck of the shallow clone');
  await sameFiles(join(T, 's'), 'refs/heads/main');
  ok(await run(['-c', 'protocol.version=0', 'clone', '--depth', '3', `${url}/demo`, join(T, 's0')]), 'clone --depth 3 (v0)');
  assert.is(await out(['rev-list', '--count', 'HEAD'], join(T, 's0')), '3');
  const next = fx.commit('demo', 'after the shallow clone');
  await new Promise((r) => setTimeout(r, 1100));
  ok(await run(['fetch', 'origin'], join(T, 's')), 'fetch into the shallow clone');
  assert.is(await out(['rev-parse', 'origin/main'], join(T, 's')), next);
  assert.is(await out(['rev-list', '--count', 'origin/main'], join(T, 's')), '2', 'the new commit on top of the shallow one');
  ok(await run(['fsck'], join(T, 's')), 'fsck after the fetch');
  const deepen = await run(['fetch', '--deepen', '5'], join(T, 's'));
  assert.is.not(deepen.code, 0);
  assert.match(deepen.out, /backend: git/);
  const since = await run(['clone', '--shallow-since=2020-02-01', `${url}/demo`, join(T, 'since')]);
  assert.is.not(since.code, 0);
  assert.match(since.out, /deepen-since is not supported by backend: isomorphic-git; use `backend: git`/);
});

test('G4 partial: --filter=blob:none, then checkout of the other branch fetches its blobs through the proxy', async () => {
  const fetches = await metricValue(proxy.url, 'cache_proxy_git_requests_total', { instance: 'git', repo: 'demo', service: 'fetch' });
  ok(await run(['clone', '--filter=blob:none', `${url}/demo`, join(T, 'p')]), 'clone --filter=blob:none');
  const afterClone = await metricValue(proxy.url, 'cache_proxy_git_requests_total', { instance: 'git', repo: 'demo', service: 'fetch' });
  ok(await run(['checkout', 'dev'], join(T, 'p')), 'checkout dev');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'p')), fx.rev('demo', 'refs/heads/dev'));
  assert.is(readFileSync(join(T, 'p', 'dev.txt'), 'utf8'), 'dev only\n');
  assert.ok(afterClone > fetches);
  assert.ok(await metricValue(proxy.url, 'cache_proxy_git_requests_total', { instance: 'git', repo: 'demo', service: 'fetch' }) > afterClone, 'lazy blob fetches went through the proxy');
  const tree0 = await run(['clone', '--filter=tree:0', `${url}/demo`, join(T, 'p0')]);
  assert.is.not(tree0.code, 0);
  assert.match(tree0.out, /only blob:none.*backend: git/);
});

test('G6/G14 upstream stopped: clones are still served from the published snapshot, after a restart too', async () => {
  const tip = fx.rev('demo', 'refs/heads/main');
  const down = await startGitUpstream(fx.root);
  const p = await startGitProxy(`      backend: isomorphic-git\n      fresh_for: 1s\n      upstream: "${down.url}/demo.git"\n`);
  ok(await run(['clone', '--quiet', p.url, join(T, 'warm')]), 'clone (warm-up)');
  await down.stop();
  await new Promise((r) => setTimeout(r, 1100));
  ok(await run(['clone', p.url, join(T, 'off')]), 'clone with the upstream down');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'off')), tip);
  ok(await run(['fsck', '--strict'], join(T, 'off')), 'fsck');
  ok(await run(['clone', '--depth', '1', p.url, join(T, 'off-s')]), 'clone --depth 1 with the upstream down');
  assert.ok(await metricValue(p.proxy.url, 'cache_proxy_git_sync_failed_total', { instance: 'git' }) >= 1, 'the on-request sync failed');
  assert.is(await metricValue(p.proxy.url, 'cache_proxy_requests_total', { instance: 'git', status: '503' }), 0);
  await p.proxy.restart();
  ok(await run(['clone', p.url, join(T, 'restarted')]), 'G14: clone after a restart, upstream still down');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'restarted')), tip);
  await p.proxy.stop();
});

test('max_pack_size: a pack over it → 503 naming backend: git; a small one is still served', async () => {
  const p = await startGitProxy(`      backend: isomorphic-git\n      max_pack_size: 1MiB\n      upstream: "${up.url}/demo.git"\n`);
  const r = await run(['clone', p.url, join(T, 'big')]);
  assert.is.not(r.code, 0);
  assert.match(r.out, /503/);
  const main = fx.rev('demo', 'refs/heads/main');
  const body = pktLine('command=fetch\n') + '0001' + pktLine(`want ${main}\n`) + pktLine('done\n') + '0000';
  const res = await fetch(`${p.url}/git-upload-pack`, { method: 'POST', body, headers: { 'git-protocol': 'version=2', 'content-type': 'application/x-git-upload-pack-request' } });
  assert.is(res.status, 503);
  assert.match(await res.text(), /over max_pack_size \(1048576 bytes\) of backend: isomorphic-git.*use `backend: git`/);
  const before = up.requests.length;
  ok(await run(['clone', '--no-checkout', '--depth', '1', '--filter=blob:none', p.url, join(T, 'small')]), 'a clone whose pack fits');
  assert.is(up.requests.length, before, 'G5: served from the mirror, 0 upstream requests');
  await p.proxy.stop();
});

test.run();
