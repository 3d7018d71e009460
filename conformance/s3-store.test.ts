// The proxy on an s3:// backend (s3rver in a child process): a body reaches the bucket only once verified, a node
// with an empty local directory serves hits from the bucket, a paused bucket neither fails a fill in flight nor a
// hit in the local cache, and the upload lands once the bucket is back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, startProxy, httpGet, cleanupAll, openable, waitFor, type FixtureServer, type ProxyHandle } from './index.js';
import { startS3rver, type S3rverHandle } from './harness/s3rver.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;
let s3: S3rverHandle, up: FixtureServer, proxy: ProxyHandle, X: string, localDir: string;
const big = randomBytes(6 * MiB);
const second = randomBytes(3 * MiB);
const bad = randomBytes(512 * 1024);

/** the names of the objects s3rver holds under cache/cp/<rel>/ (it keeps an object's bytes in <key>._S3rver_object) */
function objects(rel: string): string[] {
  const SUFFIX = '._S3rver_object';
  try { return readdirSync(join(s3.dir, 'cache', 'cp', rel)).filter((n) => n.endsWith(SUFFIX)).map((n) => n.slice(0, -SUFFIX.length)); } catch { return []; }
}
const blobStored = (b: Buffer) => objects('blobs/sha256').includes(sha(b));
const entryCount = () => objects('entries/files').length;

test.before(async () => {
  s3 = await startS3rver({ buckets: ['cache'] });
  up = await startFixtureServer();
  up.set('/rel/big.bin', { body: big });
  up.set('/rel/second.bin', { body: second });
  up.set('/bad/bad.bin', { body: bad });
  up.set('/bad/SHA256SUMS', { body: `${'0'.repeat(64)}  bad.bin\n` });
  proxy = await startProxy({
    env: { TEST_S3_KEY: s3.accessKeyId, TEST_S3_SECRET: s3.secretAccessKey },
    config: `
server: { bind: "127.0.0.1:\${PORT}", backend: "s3://cache/cp" }
storage:
  s3:
    endpoint: ${s3.endpoint}
    force_path_style: true
    access_key_id: $TEST_S3_KEY
    secret_access_key: \${TEST_S3_SECRET}
    local_dir: "\${BACKEND}/local"
    local_cache_size: 64MiB
instances:
  - name: files
    enabled: true
    file:
      route: { path: /files }
      upstreams: [${up.url}]
      default_policy: immutable
      rules:
        - { match: "bad/*.bin", policy: immutable, checksum: "sums:SHA256SUMS" }
`,
  });
  X = `${proxy.url}/files`;
  localDir = join(proxy.backend, 'local');
});
test.after(async () => { s3.resume(); await cleanupAll(); });

test('a miss reaches the bucket only after the body is complete and verified', async () => {
  const gate = openable();
  up.fault('/rel/big.bin', { rate: 16 * MiB, hold_at: 3 * MiB, gate: gate.promise });
  let received = 0;
  const pending = httpGet(`${X}/rel/big.bin`, { onBytes: (n) => { received = n; } });
  await waitFor('the first half at the client', async () => received >= 2 * MiB, 60_000);
  assert.equal(objects('blobs/sha256'), [], 'no blob object while the fill runs');
  assert.is(entryCount(), 0);
  gate.open();
  const r = await pending;
  up.clearFaults();
  assert.is(r.status, 200);
  assert.is(r.headers['x-cache'], 'MISS');
  assert.is(r.sha256, sha(big));
  await waitFor('the blob and its entry in the bucket', async () => blobStored(big) && entryCount() === 1, 60_000);
  assert.is(up.count('GET', '/rel/big.bin'), 1);
});

test('a body that fails verification leaves nothing in the bucket', async () => {
  const entriesBefore = entryCount();
  const r = await httpGet(`${X}/bad/bad.bin`);
  assert.ok(r.status !== 200 || r.aborted || r.size !== bad.length, 'the client never gets the whole wrong body as a success');
  await new Promise((res) => setTimeout(res, 1000));
  assert.not.ok(blobStored(bad), 'no object for the unverified body');
  // the sums file itself is an entry of its own; the refused body adds none
  assert.is(entryCount(), entriesBefore + 1);
});

test('the bucket paused for 5 s during a fill: the client gets the whole body, the upload lands after it resumes', async () => {
  const gate = openable();
  up.fault('/rel/second.bin', { rate: 16 * MiB, hold_at: MiB, gate: gate.promise });
  let received = 0;
  const pending = httpGet(`${X}/rel/second.bin`, { onBytes: (n) => { received = n; } });
  await waitFor('the first bytes at the client', async () => received >= MiB / 2, 60_000);
  const pausedAt = Date.now();
  s3.pause();
  try {
    gate.open();
    const r = await pending;
    assert.is(r.status, 200);
    assert.is(r.sha256, sha(second), 'the whole body, from the spill file');
    assert.ok(Date.now() - pausedAt < 5000, 'the body arrived while the bucket was paused');
    assert.not.ok(blobStored(second));
    await new Promise((res) => setTimeout(res, Math.max(0, 5000 - (Date.now() - pausedAt))));
  } finally { s3.resume(); up.clearFaults(); }
  await waitFor('the blob and its entry in the bucket after the resume', async () => blobStored(second) && entryCount() === 3, 120_000);
  assert.is(up.count('GET', '/rel/second.bin'), 1);
});

test('a node restarted with an empty local directory serves hits from the bucket: Range, then whole, 0 upstream requests', async () => {
  await proxy.stop();
  rmSync(localDir, { recursive: true, force: true });
  await proxy.restart();
  const before = up.requests.length;
  const part = await httpGet(`${X}/rel/big.bin`, { headers: { range: 'bytes=1000000-1000999' } });
  assert.is(part.status, 206);
  assert.ok(part.body.equals(big.subarray(1_000_000, 1_001_000)));
  const tail = await httpGet(`${X}/rel/big.bin`, { headers: { range: 'bytes=-100' } });
  assert.is(tail.status, 206);
  assert.ok(tail.body.equals(big.subarray(big.length - 100)));
  assert.not.ok(existsSync(join(localDir, 'blobs', 'sha256', sha(big).slice(0, 2), sha(big))), 'a ranged read does not copy the blob');
  for (const [path, body] of [['/rel/big.bin', big], ['/rel/second.bin', second]] as const) {
    const r = await httpGet(`${X}${path}`);
    assert.is(r.status, 200);
    assert.is(r.headers['x-cache'], 'HIT');
    assert.is(r.sha256, sha(body));
  }
  assert.is(up.requests.length, before, '0 upstream requests');
  await waitFor('the whole read copied into the local cache', async () => existsSync(join(localDir, 'blobs', 'sha256', sha(big).slice(0, 2), sha(big))), 30_000);
});

test('the bucket paused: a hit in the local cache is still served', async () => {
  s3.pause();
  try {
    const r = await httpGet(`${X}/rel/big.bin`, { timeoutMs: 30_000 });
    assert.is(r.status, 200);
    assert.is(r.sha256, sha(big));
    const part = await httpGet(`${X}/rel/big.bin`, { headers: { range: 'bytes=0-99' }, timeoutMs: 30_000 });
    assert.is(part.status, 206);
    assert.ok(part.body.equals(big.subarray(0, 100)));
  } finally { s3.resume(); }
});

test('usage reports the bucket and the local directory', async () => {
  const r = await httpGet(`${proxy.url}/-/status/usage?fresh=1`);
  assert.is(r.status, 200);
  const u = JSON.parse(r.body.toString('utf8')) as { total_bytes: number; areas: Record<string, number>; instances: Record<string, { blob_bytes: number }> };
  assert.ok(u.areas['s3/blobs']! >= big.length + second.length);
  assert.ok(u.instances.files!.blob_bytes >= big.length + second.length);
  assert.ok((u.areas['local/blobs'] ?? 0) >= big.length, 'the local cache is counted as the node\'s');
});

test.run();
