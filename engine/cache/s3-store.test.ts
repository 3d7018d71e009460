// The S3 store against s3rver (a child process on 127.0.0.1).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3rver, type S3rverHandle } from '../../conformance/harness/s3rver.js';
import { cleanupAll } from '../../conformance/harness/cleanup.js';
import { openS3Store } from './s3-store.js';
import type { Entry, Store } from './store.js';
import { streamToBuffer } from '../pipeline/bodies.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let s3: S3rverHandle;
let dirs: string[] = [];
const local = () => { const d = mkdtempSync(join(tmpdir(), 'cp-s3local-')); dirs.push(d); return d; };

const open = (localDir: string, retryMs = 120_000, deleteGraceMs?: number) => openS3Store({
  loc: { bucket: 'cache', prefix: 'node/a' },
  settings: { endpoint: s3.endpoint, region: 'us-east-1', force_path_style: true, access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey, local_dir: localDir, local_cache_size: 1 << 20 },
  writeRetryMs: retryMs, deleteGraceMs,
});
const SUFFIX = '._S3rver_object';
const objects = (rel: string) => { try { return readdirSync(join(s3.dir, 'cache', 'node', 'a', rel)).filter((n) => n.endsWith(SUFFIX)).map((n) => n.slice(0, -SUFFIX.length)); } catch { return []; } };

async function commitBody(store: Store, body: Buffer): Promise<string> {
  const temp = store.tempPath('.part');
  writeFileSync(temp, body);
  const hex = sha(body);
  assert.is(await store.blobs.commit(temp, hex), 'stored');
  return hex;
}

const entry = (hex: string, size: number, keyHash: string): Entry => ({
  inst: 'files', keyHash, key: 'file/x', kind: 'file', blob: `sha256:${hex}`, size, status: 200, headers: { 'content-type': 'application/octet-stream' },
  digests: { sha256: hex }, policy: 'immutable', fetched_at: new Date().toISOString(), validated_at: new Date().toISOString(), last_used_at: new Date().toISOString(), expires_at: null,
});

test.before(async () => { s3 = await startS3rver(); });
test.after(async () => { await cleanupAll(); for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

test('commit uploads the blob, keeps the file as the local copy; stat/open/range read it', async () => {
  const store = await open(local());
  try {
    const body = Buffer.alloc(200_000, 5);
    body.write('head', 0);
    const hex = await commitBody(store, body);
    assert.ok(objects('blobs/sha256').includes(hex), 'the object is in the bucket');
    assert.equal(await store.blobs.stat(hex), { size: body.length });
    assert.ok((await streamToBuffer(await store.blobs.open(hex))).equals(body));
    assert.ok((await streamToBuffer(await store.blobs.open(hex, { start: 0, end: 3 }))).equals(Buffer.from('head')));
    // a second commit of the same bytes finds them there
    const temp = store.tempPath('.part');
    writeFileSync(temp, body);
    assert.is(await store.blobs.commit(temp, hex), 'existed');
    assert.not.ok(existsSync(temp));
    const listed = [];
    for await (const b of store.blobs.list()) listed.push(b);
    assert.equal(listed.map((b) => [b.digest, b.size]), [[hex, body.length]]);
  } finally { await store.close(); }
});

test('a node with an empty local directory reads blobs, ranges and records from the bucket', async () => {
  const first = await open(local());
  const body = Buffer.from('shared through the bucket '.repeat(1000));
  const keyHash = sha(Buffer.from('k1'));
  let hex: string;
  try {
    hex = await commitBody(first, body);
    await first.entries.put(entry(hex, body.length, keyHash));
    await first.state.write('files/pins-x', { a: 1 });
    await first.state.write('scheduler', { local: true });
  } finally { await first.close(); }
  const dir = local();
  const second = await open(dir);
  try {
    assert.equal((await second.entries.get('files', keyHash))?.blob, `sha256:${hex}`);
    assert.equal(await second.entries.instances(), ['files']);
    const all = [];
    for await (const e of second.entries.list('files')) all.push(e.keyHash);
    assert.ok(all.includes(keyHash));
    assert.ok((await streamToBuffer(await second.blobs.open(hex, { start: 10, end: 19 }))).equals(body.subarray(10, 20)));
    assert.ok((await streamToBuffer(await second.blobs.open(hex))).equals(body));
    const path = await second.blobs.localFile(hex);
    assert.ok(path.startsWith(dir));
    assert.equal(await second.state.read('files/pins-x'), { a: 1 }, 'instance state is shared');
    assert.is(await second.state.read('scheduler'), null, 'engine state is the node\'s own');
    const u = await second.diskUsage((h) => (h === hex ? 'files' : undefined));
    assert.is(u.instances.files?.blob_bytes, body.length);
    assert.ok((u.instances.files?.record_bytes ?? 0) > 0);
    assert.ok((u.areas['s3/blobs'] ?? 0) >= body.length);
    await second.entries.delete('files', keyHash);
    assert.is(await second.entries.get('files', keyHash), null);
  } finally { await second.close(); }
});

test('the bucket paused: a commit waits and lands after it resumes; a record read falls back to the node\'s copy', async () => {
  const store = await open(local());
  try {
    const body = Buffer.from('written during an outage');
    const hex = sha(body);
    const keyHash = sha(Buffer.from('k2'));
    await store.entries.put(entry(sha(Buffer.from('old')), 3, keyHash));
    s3.pause();
    const temp = store.tempPath('.part');
    writeFileSync(temp, body);
    const committing = store.blobs.commit(temp, hex);
    const seen = await store.entries.get('files', keyHash);
    assert.is(seen?.keyHash, keyHash, 'the local copy answered');
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(existsSync(temp), 'the verified file is kept while the upload waits');
    s3.resume();
    assert.is(await committing, 'stored');
    assert.ok(objects('blobs/sha256').includes(hex));
  } finally { s3.resume(); await store.close(); }
});

test('delete drops the local copy; the bucket object goes only when no record in the bucket names it', async () => {
  const a = await open(local(), 120_000, 0);
  const b = await open(local(), 120_000, 0);
  try {
    const named = Buffer.from('named by a record of node b');
    const orphan = Buffer.from('named by nothing');
    const hexNamed = await commitBody(b, named);
    await b.entries.put(entry(hexNamed, named.length, sha(Buffer.from('k3'))));
    const hexOrphan = await commitBody(a, orphan);
    await a.blobs.delete(hexNamed);
    await a.blobs.delete(hexOrphan);
    assert.ok(objects('blobs/sha256').includes(hexNamed), 'another node\'s record keeps it');
    assert.not.ok(objects('blobs/sha256').includes(hexOrphan));
    // a young object is kept whatever the records say
    const c = await open(local(), 120_000, 3600_000);
    try {
      const young = Buffer.from('just stored');
      const hexYoung = await commitBody(c, young);
      await c.blobs.delete(hexYoung);
      assert.ok(objects('blobs/sha256').includes(hexYoung));
    } finally { await c.close(); }
  } finally { await a.close(); await b.close(); }
});

test.run();
