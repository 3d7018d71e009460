// git mode, the mirror's pack after its first clone: a background repack gives it a bitmap index (fast
// clones), and clones through the proxy stay complete and correct while a repack replaces the packs under
// the upload-pack runs serving them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ok } from './harness/client-run.js';
import { cleanupAll, tmpDir, type ProxyHandle } from './index.js';
import { waitFor } from './harness/deb.js';
import { buildGitFixture, clientEnv, git, mirrorDir, repackedWithBitmap, startGitProxy, startGitUpstream, type GitFixture, type GitUpstream } from './harness/git.js';

let fx: GitFixture, up: GitUpstream, proxy: ProxyHandle, url: string, T: string;
const run = (args: string[], cwd?: string) => git(args, { cwd, home: fx.home });
const out = async (args: string[], cwd?: string) => { const r = await run(args, cwd); ok(r, args.join(' ')); return r.stdout.trim(); };

test.before(async () => {
  fx = buildGitFixture();
  up = await startGitUpstream(fx.root);
  ({ proxy, url } = await startGitProxy(`      repositories:\n        - { path: demo, upstream: "${up.url}/demo.git" }\n`));
  T = tmpDir('gitrepack-');
});
test.after(cleanupAll);

test('after the first clone the mirror gets one pack with a bitmap index, in the background; a clone afterwards is complete', async () => {
  ok(await run(['clone', '--quiet', `${url}/demo`, join(T, 'first')]), 'first clone');
  const dir = mirrorDir(proxy.backend);
  assert.ok(dir, 'the mirror is in the store');
  await waitFor('one pack with a bitmap index in the mirror', async () => repackedWithBitmap(dir), 120_000);
  ok(await run(['clone', '--quiet', `${url}/demo`, join(T, 'after')]), 'clone after the repack');
  assert.is(await out(['rev-parse', 'HEAD'], join(T, 'after')), fx.rev('demo', 'refs/heads/main'));
  assert.is(await out(['rev-parse', 'origin/dev'], join(T, 'after')), fx.rev('demo', 'refs/heads/dev'));
  await out(['fsck', '--strict'], join(T, 'after'));
  assert.is(await out(['rev-list', '--objects', '--all'], join(T, 'after')), await out(['rev-list', '--objects', '--all'], join(T, 'first')));
});

test('clones through the proxy while the mirror is repacked (its packs replaced under the running upload-packs) are complete', async () => {
  const dir = mirrorDir(proxy.backend)!;
  for (let round = 0; round < 3; round++) {
    // -f recomputes every delta: a repack long enough for the clones to start while it runs
    const repack = spawn('git', ['--git-dir', dir, 'repack', '-a', '-d', '-f', '-q', '--write-bitmap-index'], { env: clientEnv(fx.home), stdio: 'ignore' });
    const repacked = new Promise<number>((r) => repack.on('close', (c) => r(c ?? 1)));
    const clones = await Promise.all([0, 1, 2].map((i) => run(['clone', '--quiet', `${url}/demo`, join(T, `during${round}-${i}`)])));
    assert.is(await repacked, 0, 'the repack succeeded');
    clones.forEach((r, i) => ok(r, `clone ${i} of round ${round}`));
    for (let i = 0; i < 3; i++) {
      const c = join(T, `during${round}-${i}`);
      assert.is(await out(['rev-parse', 'HEAD'], c), fx.rev('demo', 'refs/heads/main'));
      await out(['fsck', '--strict'], c);
    }
  }
});

test.run();
