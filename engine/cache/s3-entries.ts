// Entry records in an S3 bucket at <prefix>/entries/<instance>/<keyhash>.json, one PutObject each (atomic in S3:
// a reader sees the old record or the new one). The node keeps a copy of every record it wrote or read under
// <local_dir>/entries/<instance>/<xx>/<keyhash>.json: when the bucket does not answer, a lookup falls back to it, so a hit
// whose blob is in the local cache is served through an outage.
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Entry, EntryStore } from './store.js';
import { entryFile } from './fs-store.js';
import { s3Key, type S3Location } from './s3-location.js';
import { isNotFound, quickly, retryFor } from './s3-client.js';

const HEX64 = /^[0-9a-f]{64}$/;
const INST = /^[A-Za-z0-9_-]+$/;
const LIST_WINDOW = 32;

export interface S3EntriesOptions {
  client: S3Client;
  loc: S3Location;
  /** the node's local directory: record copies go under its entries/ */
  localRoot: string;
  tempPath: (suffix: string) => string;
  /** how long a put keeps retrying an unreachable store */
  putRetryMs: number;
  onRetry?: (op: string, err: Error, attempt: number) => void;
}

export function s3Entries(o: S3EntriesOptions): EntryStore {
  const { client, loc } = o;
  const Bucket = loc.bucket;
  const keyOf = (inst: string, keyHash: string) => {
    if (!HEX64.test(keyHash) || !INST.test(inst)) throw new Error('bad entry address');
    return s3Key(loc, `entries/${inst}/${keyHash}.json`);
  };
  const copyOf = (inst: string, keyHash: string) => entryFile(o.localRoot, inst, keyHash);

  async function keepCopy(e: Entry, text: string): Promise<void> {
    const target = copyOf(e.inst, e.keyHash);
    const temp = o.tempPath('.w');
    try {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(temp, text);
      await rename(temp, target);
    } catch { await unlink(temp).catch(() => undefined); }
  }

  const parse = (text: string, keyHash: string): Entry | null => {
    try {
      const e = JSON.parse(text) as Entry;
      return e.keyHash === keyHash && typeof e.blob === 'string' ? e : null;
    } catch { return null; }
  };

  async function fetchRecord(inst: string, keyHash: string, signal?: { abortSignal: AbortSignal }): Promise<string | null> {
    try {
      const r = await client.send(new GetObjectCommand({ Bucket, Key: keyOf(inst, keyHash) }), signal);
      return await r.Body!.transformToString('utf8');
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  const entries: EntryStore = {
    async get(inst, keyHash) {
      let text: string | null;
      try {
        text = await fetchRecord(inst, keyHash, quickly());
      } catch {
        // the bucket does not answer: the copy this node kept, if any (a lookup that throws would be a 500)
        const copy = await readFile(copyOf(inst, keyHash), 'utf8').catch(() => null);
        return copy === null ? null : parse(copy, keyHash);
      }
      if (text === null) { await unlink(copyOf(inst, keyHash)).catch(() => undefined); return null; }
      const e = parse(text, keyHash);
      if (!e) { await entries.delete(inst, keyHash); return null; } // unparseable record: dropped when met
      await keepCopy(e, text);
      return e;
    },
    async put(e) {
      const text = JSON.stringify(e);
      await keepCopy(e, text);
      await retryFor(() => client.send(new PutObjectCommand({ Bucket, Key: keyOf(e.inst, e.keyHash), Body: text, ContentType: 'application/json' })),
        { forMs: o.putRetryMs, onRetry: (err, attempt) => o.onRetry?.('entry', err, attempt) });
    },
    async delete(inst, keyHash) {
      await unlink(copyOf(inst, keyHash)).catch(() => undefined);
      await client.send(new DeleteObjectCommand({ Bucket, Key: keyOf(inst, keyHash) })).catch(() => undefined);
    },
    async *list(inst) {
      if (!INST.test(inst)) return;
      const base = s3Key(loc, `entries/${inst}/`);
      let token: string | undefined;
      do {
        const r = await client.send(new ListObjectsV2Command({ Bucket, Prefix: base, ContinuationToken: token }));
        const hashes = (r.Contents ?? []).map((c) => (c.Key ?? '').slice(base.length).replace(/\.json$/, '')).filter((h) => HEX64.test(h));
        // a window of reads in flight: a scan is bound by the store's latency
        for (let i = 0; i < hashes.length; i += LIST_WINDOW) {
          const batch = await Promise.all(hashes.slice(i, i + LIST_WINDOW).map(async (h) => {
            const text = await fetchRecord(inst, h).catch(() => null);
            return text === null ? null : parse(text, h);
          }));
          for (const e of batch) if (e) yield e;
        }
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    },
    async instances() {
      const base = s3Key(loc, 'entries/');
      const out: string[] = [];
      let token: string | undefined;
      do {
        const r = await client.send(new ListObjectsV2Command({ Bucket, Prefix: base, Delimiter: '/', ContinuationToken: token }));
        for (const p of r.CommonPrefixes ?? []) { const name = (p.Prefix ?? '').slice(base.length).replace(/\/$/, ''); if (INST.test(name)) out.push(name); }
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      return out;
    },
    // last use is advisory (eviction order): a failed rewrite is skipped, not retried
    async touch(batch) {
      for (const t of batch) {
        const e = await entries.get(t.inst, t.keyHash).catch(() => null);
        if (!e) continue;
        const text = JSON.stringify({ ...e, last_used_at: t.at.toISOString() });
        await client.send(new PutObjectCommand({ Bucket, Key: keyOf(t.inst, t.keyHash), Body: text, ContentType: 'application/json' }), quickly()).catch(() => undefined);
      }
    },
  };
  return entries;
}
