// git mode's answers while a repository is not servable yet: cloning past clone_wait (503 Retry-After,
// one clone for concurrent requests), failed (502 with the reason, held off until failed_retry_after, then
// retried), over max_repositories (503); and gzip-compressed request bodies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ok } from './harness/client-run.js';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cleanupAll, httpGet, tmpDir } from './index.js';
import { waitFor } from './harness/deb.js';
import { buildGitFixture, git, repoStatus, startGitProxy, startGitUpstream, type GitFixture, type GitUpstream } from './harness/git.js';
import { pktLine } from '../modes/git/pkt-line.js';

let fx: GitFixture, up: GitUpstream, T: string;
const run = (args: string[], cwd?: string) => git(args, { cwd, home: fx.home });
const advert = (url: string) => httpGet(`${url}/info/refs?service=git-upload-pack`);

test.before(async () => {
  fx = buildGitFixture();
  up = await startGitUpstream(fx.root);
  T = tmpDir('gitst-');
});
test.after(cleanupAll);

test('cloning past clone_wait: 503 Retry-After "mirror is being cloned" to concurrent requests, one clone upstream', async () => {
  const { proxy, url } = await startGitProxy(`      upstream: "${up.url}/tools.git"\n      clone_wait: 1s\n`);
  up.delay(3000);
  const before = up.requests.length;
  const answers = await Promise.all([advert(url), advert(url), advert(url)]);
  for (const a of answers) {
    assert.is(a.status, 503);
    assert.is(a.headers['retry-after'], '10');
    assert.match(a.body.toString(), /mirror is being cloned/);
  }
  await waitFor('the clone', async () => (await repoStatus(proxy.url, '/'))?.state === 'ready', 60_000);
  up.delay(0);
  assert.equal(up.requests.slice(before).filter((r) => r.method === 'GET').map((r) => r.path), ['/tools.git/info/refs', '/tools.git/info/refs'], 'one ls-remote and one fetch');
  ok(await run(['clone', url, join(T, 'tools')]), 'clone once cloned');
  await proxy.stop();
});

test('failed: 502 with the reason, no new attempt before failed_retry_after, then retried; max_repositories caps on-demand mirrors', async () => {
  const { proxy, url } = await startGitProxy(`      upstream_base: "${up.url}"\n      allow: ["team/*"]\n      failed_retry_after: 2s\n      max_repositories: 2\n`);
  const first = await advert(`${url}/team/late`);
  assert.is(first.status, 502);
  assert.match(first.body.toString(), /upstream repository not found/);
  const asked = up.requests.length;
  assert.is((await advert(`${url}/team/late.git`)).status, 502);
  assert.is(up.requests.length, asked, 'held off: no upstream request');
  fx.create('team/late');
  await new Promise((r) => setTimeout(r, 2100));
  ok(await run(['clone', `${url}/team/late`, join(T, 'late')]), 'clone after failed_retry_after');
  assert.is((await advert(`${url}/team/x`)).status, 200);
  const capped = await advert(`${url}/team/third`);
  assert.is(capped.status, 503);
  assert.match(capped.body.toString(), /max_repositories/);
  await proxy.stop();
});

test('a gzip-compressed v2 ls-refs request is answered like a plain one', async () => {
  const { proxy, url } = await startGitProxy(`      upstream: "${up.url}/tools.git"\n`);
  const body = Buffer.from(pktLine('command=ls-refs\n') + '0001' + pktLine('symrefs\n') + '0000');
  const headers = { 'git-protocol': 'version=2', 'content-type': 'application/x-git-upload-pack-request' };
  const post = async (h: Record<string, string>, b: Buffer) => { const r = await fetch(`${url}/git-upload-pack`, { method: 'POST', headers: h, body: new Uint8Array(b) }); return { status: r.status, body: Buffer.from(await r.arrayBuffer()) }; };
  const plain = await post(headers, body);
  assert.is(plain.status, 200, plain.body.toString());
  assert.match(plain.body.toString(), new RegExp(`${fx.rev('tools', 'refs/heads/main')} refs/heads/main`));
  const zipped = await post({ ...headers, 'content-encoding': 'gzip' }, gzipSync(body));
  assert.is(zipped.status, 200);
  assert.ok(zipped.body.equals(plain.body));
  await proxy.stop();
});

test.run();
