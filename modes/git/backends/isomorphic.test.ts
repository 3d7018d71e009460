// Syncs of the isomorphic-git backend against a small smart-HTTP server (git upload-pack behind node:http):
// snapshots published only when refs changed, force_overwrite false, failures classified.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitEnv } from '../git-process.js';
import { pktLine } from '../pkt-line.js';
import { readSnapshot } from '../mirror.js';
import type { RepoSpec } from '../settings.js';
import { SyncError } from '../sync-error.js';
import { classifyIsomorphicFailure, IsomorphicBackend } from './isomorphic.js';

const dir = mkdtempSync(join(tmpdir(), 'cp-iso-sync-'));
const env = { ...gitEnv(), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const sh = (args: string[], cwd?: string) => execFileSync('git', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
const upstream = join(dir, 'up.git'), work = join(dir, 'work');
sh(['init', '--quiet', '--bare', '-b', 'main', upstream]);
sh(['clone', '--quiet', upstream, work]);
let n = 0;
const commit = (force = false) => {
  writeFileSync(join(work, `f${++n}`), String(n));
  sh(['add', '-A'], work);
  sh(force ? ['commit', '--quiet', '--amend', '-m', `c${n}`] : ['commit', '--quiet', '-m', `c${n}`], work);
  sh(['push', '--quiet', '--force', 'origin', 'HEAD:main'], work);
  return sh(['rev-parse', 'HEAD'], work);
};

let requests = 0, requireAuth: string | null = null;
const server: Server = createServer((q, s) => {
  requests++;
  if (requireAuth && q.headers.authorization !== requireAuth) { s.writeHead(401, { 'www-authenticate': 'Basic realm="t"' }).end(); return; }
  if (!q.url!.startsWith('/up.git/')) { s.writeHead(404).end(); return; }
  const adv = q.url!.includes('info/refs');
  const c = spawn('git', ['upload-pack', '--stateless-rpc', ...(adv ? ['--advertise-refs'] : []), upstream], { env });
  s.writeHead(200, { 'content-type': `application/x-git-upload-pack-${adv ? 'advertisement' : 'result'}` });
  if (adv) { s.write(`${pktLine('# service=git-upload-pack\n')}0000`); c.stdin.end(); } else q.pipe(c.stdin);
  c.stdout.pipe(s);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const spec = (forceOverwrite: boolean, path = 'up.git'): RepoSpec => ({ path: 'demo', upstream: `${base}/${path}`, syncIntervalMs: 0, forceOverwrite, onDemand: false });

test.after(() => { server.close(); rmSync(dir, { recursive: true, force: true }); });

test('clone, unchanged sync (refs listed only), then a new commit published as the next snapshot', async () => {
  const a = commit();
  const m = new IsomorphicBackend(join(dir, 'm1.git'), spec(true), 0, 1 << 20);
  assert.is((await m.sync()).outcome, 'updated');
  assert.equal(m.snapshot?.refs, { 'refs/heads/main': a });
  assert.is(m.snapshot?.head, 'refs/heads/main');
  assert.equal((await readSnapshot(m.dir))?.refs, m.snapshot?.refs, 'the pointer on disk');
  const before = requests;
  assert.is((await m.sync()).outcome, 'unchanged');
  assert.is(requests - before, 1, 'only the ref listing');
  assert.is(m.snapshot?.n, 1);
  const b = commit();
  assert.is((await m.sync()).outcome, 'updated');
  assert.is(m.snapshot?.n, 2);
  assert.is(m.snapshot?.refs['refs/heads/main'], b);
  const again = new IsomorphicBackend(m.dir, spec(true), 0, 1 << 20);
  assert.equal((await again.load())?.refs, m.snapshot?.refs, 'a restart finds the snapshot');
});

test('force_overwrite false: a rewritten branch keeps its old value and is reported', async () => {
  const m = new IsomorphicBackend(join(dir, 'm2.git'), spec(false), 0, 1 << 20);
  await m.sync();
  const old = m.snapshot!.refs['refs/heads/main']!;
  const rewritten = commit(true);
  const r = await m.sync();
  assert.equal(r.refused, [{ ref: 'refs/heads/main', kept: old, upstream: rewritten }]);
  assert.is(m.snapshot?.refs['refs/heads/main'], old);
  const forward = commit();
  assert.equal((await m.sync()).refused, [{ ref: 'refs/heads/main', kept: old, upstream: forward }], 'still not a fast-forward of the kept value');
});

test('failures: credentials refused and absent repositories are permanent, with no snapshot published', async () => {
  requireAuth = 'Basic eDp5';
  const m = new IsomorphicBackend(join(dir, 'm3.git'), spec(true), 0, 1 << 20);
  const e = await m.sync().catch((x: unknown) => x);
  assert.ok(e instanceof SyncError);
  assert.equal([e.message, e.permanent], ['authentication failed', true]);
  requireAuth = null;
  const missing = await new IsomorphicBackend(join(dir, 'm4.git'), spec(true, 'nope.git'), 0, 1 << 20).sync().catch((x: unknown) => x);
  assert.equal([(missing as SyncError).message, (missing as SyncError).permanent], ['upstream repository not found', true]);
  assert.is(m.snapshot, null);
  const t = classifyIsomorphicFailure('fetch', new Error('connect ECONNREFUSED 127.0.0.1:1 (secret-value)'), ['secret-value']);
  assert.equal([t.permanent, /secret-value/.test(t.message)], [false, false]);
});

test.run();
