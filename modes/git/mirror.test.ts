import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitEnv } from './git-process.js';
import { Mirror } from './mirror.js';
import type { RepoSpec } from './settings.js';

const dir = mkdtempSync(join(tmpdir(), 'cp-mirror-'));
const sh = (args: string[], cwd?: string) => execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...gitEnv(), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).toString().trim();
const upstream = join(dir, 'up.git'), work = join(dir, 'work');
sh(['init', '--quiet', '--bare', '-b', 'main', upstream]);
sh(['clone', '--quiet', upstream, work]);
let n = 0;
const commit = (branch = 'main') => {
  writeFileSync(join(work, `f${++n}`), String(n));
  sh(['add', '-A'], work);
  sh(['commit', '--quiet', '-m', `c${n}`], work);
  sh(['push', '--quiet', '--force', 'origin', `HEAD:${branch}`], work);
  return sh(['rev-parse', 'HEAD'], work);
};
const spec = (forceOverwrite: boolean): RepoSpec => ({ path: 'demo', upstream: `file://${upstream}`, syncIntervalMs: 0, forceOverwrite, onDemand: false });
const namespaces = (m: Mirror) => sh(['--git-dir', m.dir, 'for-each-ref', '--format=%(refname)', 'refs/namespaces/']).split('\n').filter(Boolean);

test('a sync publishes the next namespace only when refs changed; the previous one stays, older ones go', async () => {
  const a = commit();
  const m = new Mirror(join(dir, 'm1.git'), spec(true), 0);
  assert.is((await m.sync()).outcome, 'updated');
  assert.equal([m.snapshot!.n, m.snapshot!.refs, m.snapshot!.head], [1, { 'refs/heads/main': a }, 'refs/heads/main']);
  assert.equal(namespaces(m), ['refs/namespaces/s1/HEAD', 'refs/namespaces/s1/refs/heads/main']);
  assert.is(sh(['--git-dir', m.dir, 'symbolic-ref', 'refs/namespaces/s1/HEAD']), 'refs/namespaces/s1/refs/heads/main');
  assert.is((await m.sync()).outcome, 'unchanged');
  assert.is(m.snapshot!.n, 1);
  const b = commit();
  assert.is((await m.sync()).outcome, 'updated');
  assert.is(m.snapshot!.refs['refs/heads/main'], b);
  commit();
  await m.sync();
  assert.is(m.snapshot!.n, 3);
  assert.ok(namespaces(m).every((r) => /^refs\/namespaces\/s[23]\//.test(r)), namespaces(m).join(' '));
  const again = new Mirror(m.dir, spec(true), 0);
  assert.equal(await again.load(), m.snapshot, 'the pointer file is the published snapshot');
});

test('force_overwrite false: a rewritten branch keeps its old tip, a new branch and a fast-forward are taken', async () => {
  const m = new Mirror(join(dir, 'm2.git'), spec(false), 0);
  await m.sync();
  const kept = m.snapshot!.refs['refs/heads/main']!;
  sh(['reset', '--quiet', '--hard', 'HEAD~1'], work);
  const rewritten = commit();
  const side = commit('side');
  const r = await m.sync();
  assert.equal(r.refused, [{ ref: 'refs/heads/main', kept, upstream: rewritten }]);
  assert.equal(m.snapshot!.refs, { 'refs/heads/main': kept, 'refs/heads/side': side });
  assert.is((await m.sync()).outcome, 'unchanged', 'the refused update is not retried while the upstream stays put');
});

test('an empty upstream is a permanent failure', async () => {
  const empty = join(dir, 'empty.git');
  sh(['init', '--quiet', '--bare', empty]);
  const m = new Mirror(join(dir, 'm3.git'), { ...spec(true), upstream: `file://${empty}` }, 0);
  const e = await m.sync().then(() => null, (x: Error & { permanent?: boolean }) => x);
  assert.equal([e?.message, e?.permanent], ['upstream repository is empty', true]);
  assert.is(m.snapshot, null);
});

test('operation_timeout caps a whole sync: a transient failure, no snapshot', async () => {
  const m = new Mirror(join(dir, 'm4.git'), spec(true), 1);
  const e = await m.sync().then(() => null, (x: Error & { permanent?: boolean }) => x);
  assert.equal([e?.message, e?.permanent], ['operation timed out after 1 ms (operation_timeout)', false]);
  assert.is(m.snapshot, null);
});

test('after a sync, a background repack leaves one pack with a bitmap index; clones of the mirror while it runs are complete', async () => {
  commit();
  const failures: string[] = [];
  const m = new Mirror(join(dir, 'm5.git'), spec(true), 0, (e) => failures.push(e));
  await m.sync();
  // clones of the mirror (upload-pack on its packs) started while the repack runs
  const clones: Promise<number>[] = [];
  let pending = true;
  void m.maintenance.then(() => { pending = false; });
  for (let i = 0; pending && i < 50; i++) {
    clones.push(new Promise((resolve) => execFile('git', ['clone', '--quiet', '--mirror', '--no-local', m.dir, join(dir, `m5-clone${i}`)], { env: gitEnv() }, (err) => resolve(err ? 1 : 0))));
    await new Promise((r) => setTimeout(r, 20));
  }
  await m.maintenance;
  assert.equal(failures, []);
  const packs = readdirSync(join(m.dir, 'objects', 'pack'));
  assert.is(packs.filter((f) => f.endsWith('.pack')).length, 1, packs.join(' '));
  assert.is(packs.filter((f) => f.endsWith('.bitmap')).length, 1, packs.join(' '));
  const tips = Object.values(m.snapshot!.refs);
  sh(['--git-dir', m.dir, 'rev-list', '--objects', '--quiet', ...tips]);
  assert.ok(clones.length >= 1);
  assert.equal(await Promise.all(clones), clones.map(() => 0), 'every clone made while the repack ran succeeded');
  for (let i = 0; i < clones.length; i++) sh(['--git-dir', join(dir, `m5-clone${i}`), 'fsck', '--connectivity-only', '--no-dangling']);
  // a later sync with nothing new finds the bitmap there: no second repack
  const before = readdirSync(join(m.dir, 'objects', 'pack')).sort();
  assert.is((await m.sync()).outcome, 'unchanged');
  await m.maintenance;
  assert.equal(readdirSync(join(m.dir, 'objects', 'pack')).sort(), before);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
