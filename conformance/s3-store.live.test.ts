// Opt-in: the S3 store against an external S3-compatible endpoint (e.g. OpenStack Swift's S3 layer, MinIO).
// Runs with `npm run test:live` only when these are set (else it reports itself skipped):
//   CACHE_PROXY_TEST_S3_ENDPOINT  http(s) base URL of the S3 API
//   CACHE_PROXY_TEST_S3_BUCKET    an existing bucket the credentials may write to
//   CACHE_PROXY_TEST_S3_KEY / CACHE_PROXY_TEST_S3_SECRET   EC2-style credentials (Swift: `openstack ec2 credentials create`)
//   CACHE_PROXY_TEST_S3_REGION    optional (default us-east-1); CACHE_PROXY_TEST_S3_VIRTUAL_HOSTS=1 for <bucket>.<endpoint> addressing
// Everything it writes is under a fresh prefix cache-proxy-live-<random>/ and removed at the end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openS3Store } from '../engine/cache/s3-store.js';
import type { Entry, Store } from '../engine/cache/store.js';
import { streamToBuffer } from '../engine/pipeline/bodies.js';

const env = process.env;
const configured = ['ENDPOINT', 'BUCKET', 'KEY', 'SECRET'].every((k) => env[`CACHE_PROXY_TEST_S3_${k}`]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const prefix = `cache-proxy-live-${randomBytes(4).toString('hex')}`;
const dirs: string[] = [];

const open = (): Promise<Store> => {
  const d = mkdtempSync(join(tmpdir(), 'cp-s3live-'));
  dirs.push(d);
  return openS3Store({
    loc: { bucket: env.CACHE_PROXY_TEST_S3_BUCKET!, prefix },
    settings: {
      endpoint: env.CACHE_PROXY_TEST_S3_ENDPOINT, region: env.CACHE_PROXY_TEST_S3_REGION ?? 'us-east-1', force_path_style: env.CACHE_PROXY_TEST_S3_VIRTUAL_HOSTS !== '1',
      access_key_id: env.CACHE_PROXY_TEST_S3_KEY, secret_access_key: env.CACHE_PROXY_TEST_S3_SECRET, local_dir: d, local_cache_size: 1 << 30,
    },
    writeRetryMs: 10_000, deleteGraceMs: 0,
  });
};

if (!configured) {
  test('live S3 endpoint (skipped: CACHE_PROXY_TEST_S3_ENDPOINT/_BUCKET/_KEY/_SECRET not set)', () => { /* nothing to run against */ });
} else {
  test('a multipart blob, its record and a range read back through a second node with an empty local directory', async () => {
    const body = randomBytes(20 * 1024 * 1024); // over the part size: a multipart upload
    const hex = sha(body);
    const keyHash = sha(Buffer.from(prefix));
    const a = await open();
    try {
      const temp = a.tempPath('.part');
      writeFileSync(temp, body);
      assert.is(await a.blobs.commit(temp, hex), 'stored');
      const now = new Date().toISOString();
      const e: Entry = { inst: 'live', keyHash, key: 'file/live.bin', kind: 'file', blob: `sha256:${hex}`, size: body.length, status: 200, headers: {}, digests: { sha256: hex }, policy: 'immutable', fetched_at: now, validated_at: now, last_used_at: now, expires_at: null };
      await a.entries.put(e);
    } finally { await a.close(); }
    const b = await open();
    try {
      assert.is((await b.entries.get('live', keyHash))?.blob, `sha256:${hex}`);
      assert.equal(await b.blobs.stat(hex), { size: body.length });
      assert.ok((await streamToBuffer(await b.blobs.open(hex, { start: 9_000_000, end: 9_000_999 }))).equals(body.subarray(9_000_000, 9_001_000)));
      assert.is(sha(await streamToBuffer(await b.blobs.open(hex))), hex);
      await b.entries.delete('live', keyHash);
      await b.blobs.delete(hex);
      assert.is(await b.entries.get('live', keyHash), null);
      assert.is(await b.blobs.stat(hex), null);
    } finally { await b.close(); }
  });
}

test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
test.run();
