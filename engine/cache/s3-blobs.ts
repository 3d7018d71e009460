// Blobs in an S3 bucket at <prefix>/blobs/sha256/<hex>, with the node's LocalBlobCache in front.
// A blob is uploaded only by `commit`, which the fill calls once the body verified: the bucket never holds a
// partial or unverified object. An upload that fails (the store is unreachable) is retried for a bounded time;
// the verified temp file is kept until it has landed and then becomes the local cached copy.
import { createReadStream } from 'node:fs';
import { writeFile, stat as fsStat, unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BlobStore } from './store.js';
import type { LocalBlobCache } from './local-blob-cache.js';
import { s3Key, type S3Location } from './s3-location.js';
import { isNotFound, quickly, retryFor } from './s3-client.js';

const HEX64 = /^[0-9a-f]{64}$/;
const PART_SIZE = 8 * 1024 * 1024;

export interface S3BlobsOptions {
  client: S3Client;
  loc: S3Location;
  cache: LocalBlobCache;
  tempPath: (suffix: string) => string;
  /** how long a commit keeps retrying an unreachable store */
  commitRetryMs: number;
  /** every blob the bucket's entry records name, other nodes' included (read fresh, at most every `refsMaxAgeMs`) */
  referencedInBucket: () => Promise<Set<string>>;
  refsMaxAgeMs?: number;
  /** a bucket object younger than this is never deleted (another node may have just stored it) */
  deleteGraceMs?: number;
  onRetry?: (op: string, err: Error, attempt: number) => void;
}

export function s3Blobs(o: S3BlobsOptions): BlobStore & { uploadedBytes(): number } {
  const { client, loc, cache } = o;
  const Bucket = loc.bucket;
  const keyOf = (hex: string) => {
    if (!HEX64.test(hex)) throw new Error(`bad blob digest ${hex.slice(0, 80)}`);
    return s3Key(loc, `blobs/sha256/${hex}`);
  };
  let uploaded = 0;
  let refs: { at: number; set: Promise<Set<string>> } | undefined;
  const bucketRefs = () => {
    if (!refs || Date.now() - refs.at > (o.refsMaxAgeMs ?? 10 * 60_000)) {
      const set = o.referencedInBucket();
      refs = { at: Date.now(), set };
      set.catch(() => { refs = undefined; });
    }
    return refs.set;
  };

  async function head(hex: string, signal?: { abortSignal: AbortSignal }): Promise<{ size: number } | null> {
    try {
      const r = await client.send(new HeadObjectCommand({ Bucket, Key: keyOf(hex) }), signal);
      return { size: r.ContentLength ?? 0 };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async function get(hex: string, range?: { start: number; end: number }): Promise<{ body: Readable; whole: boolean }> {
    const r = await client.send(new GetObjectCommand({ Bucket, Key: keyOf(hex), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }));
    // a range from the first to the last byte is the whole blob (how a plain 200 asks)
    const total = /\/(\d+)$/.exec(r.ContentRange ?? '')?.[1];
    return { body: r.Body as Readable, whole: !range || (range.start === 0 && total !== undefined && range.end === Number(total) - 1) };
  }

  async function upload(temp: string, hex: string): Promise<void> {
    const up = new Upload({
      client, queueSize: 4, partSize: PART_SIZE, leavePartsOnError: false,
      params: { Bucket, Key: keyOf(hex), Body: createReadStream(temp, { highWaterMark: 1024 * 1024 }), ContentType: 'application/octet-stream' },
    });
    await up.done();
  }

  return {
    // the local copy answers without asking the bucket (a hit while the bucket is unreachable)
    async stat(hex) {
      await cache.ready;
      const local = cache.sizeOf(hex);
      if (local !== undefined) return { size: local };
      return head(hex, quickly());
    },
    async open(hex, range) {
      await cache.ready;
      const fh = await cache.openFile(hex);
      if (fh) return fh.createReadStream({ highWaterMark: 256 * 1024, ...(range ? { start: range.start, end: range.end } : {}) }) as Readable;
      const { body, whole } = await get(hex, range);
      return whole ? cache.tee(body, hex) : body;
    },
    async localFile(hex) {
      await cache.ready;
      const fh = await cache.openFile(hex);
      if (fh) { await fh.close(); return cache.path(hex); }
      await cache.store((await get(hex)).body, hex);
      return cache.path(hex);
    },
    async commit(temp, hex, data) {
      if (data) await writeFile(temp, data);
      const size = (await fsStat(temp)).size;
      const result = await retryFor(async () => {
        const there = await head(hex);
        if (there && there.size === size) return 'existed' as const;
        await upload(temp, hex);
        return 'stored' as const;
      }, { forMs: o.commitRetryMs, onRetry: (e, attempt) => o.onRetry?.('commit', e, attempt) });
      if (result === 'stored') uploaded += size;
      // the verified body becomes this node's cached copy (the fill's readers reopen it there)
      await cache.ready;
      if (!cache.has(hex)) await cache.adopt(temp, hex, size).catch(() => unlink(temp).catch(() => undefined));
      else await unlink(temp).catch(() => undefined);
      return result;
    },
    // the node drops its copy; the bucket's object goes only when no node's record names it: the bucket is shared,
    // and this node's index knows only the records it has seen
    async delete(hex) {
      await cache.remove(hex);
      try {
        const h = await client.send(new HeadObjectCommand({ Bucket, Key: keyOf(hex) }), quickly());
        if (Date.now() - (h.LastModified?.getTime() ?? Date.now()) < (o.deleteGraceMs ?? 3600_000)) return;
        if ((await bucketRefs()).has(hex)) return;
        await client.send(new DeleteObjectCommand({ Bucket, Key: keyOf(hex) }), quickly());
      } catch { /* gone already, or the bucket does not answer: the next blob GC tries again */ }
    },
    async *list(after) {
      const base = s3Key(loc, 'blobs/sha256/');
      let token: string | undefined;
      do {
        const r = await client.send(new ListObjectsV2Command({ Bucket, Prefix: base, ContinuationToken: token, ...(after && !token ? { StartAfter: base + after } : {}) }));
        for (const c of r.Contents ?? []) {
          const hex = (c.Key ?? '').slice(base.length);
          if (HEX64.test(hex)) yield { digest: hex, size: c.Size ?? 0, mtime: c.LastModified ?? new Date(0) };
        }
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    },
    uploadedBytes: () => uploaded,
  };
}
