// The S3 store: blobs, entry records and shared state in a bucket under <prefix>/, everything that belongs to
// one node in its local directory (docs/scale-out.md, "Storage on S3"). Several nodes may share the bucket:
// the bucket takes no lock (each record is one atomic PutObject); the local directory is locked.
import { mkdir, readFile, readdir, rename, rm, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, resolve, sep } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from '../config/types.js';
import type { SnapshotStore, StateStore, Store } from './store.js';
import { LocalBlobCache } from './local-blob-cache.js';
import { s3Blobs } from './s3-blobs.js';
import { s3Entries } from './s3-entries.js';
import { s3Client, isNotFound, quickly, retryFor } from './s3-client.js';
import { s3Key, type S3Location } from './s3-location.js';
import { acquireLock, releaseLock } from './store-lock.js';
import { measureS3 } from './s3-usage.js';

/** how long a commit or record write keeps retrying an unreachable bucket before the object is given up */
export const S3_WRITE_RETRY_MS = 120_000;

export interface S3StoreOptions {
  loc: S3Location;
  settings: S3Settings;
  /** a client of its own (tests); else one is built from settings */
  client?: S3Client;
  writeRetryMs?: number;
  /** a view for tools beside a running node (ls, du): no lock taken, tmp/ left alone */
  readOnly?: boolean;
  /** a bucket blob younger than this is never deleted (default 1 h) */
  deleteGraceMs?: number;
  onRetry?: (op: string, err: Error, attempt: number) => void;
}

const STATE_NAME = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)?$/;

export async function openS3Store(o: S3StoreOptions): Promise<Store> {
  const { loc } = o;
  const client = o.client ?? s3Client(o.settings);
  const root = resolve(o.settings.local_dir);
  const dirs = { tmp: join(root, 'tmp'), blobs: join(root, 'blobs', 'sha256'), state: join(root, 'state'), modes: join(root, 'modes'), entries: join(root, 'entries') };
  await mkdir(root, { recursive: true, mode: 0o755 });
  const lockFile = join(root, 'lock');
  if (!o.readOnly) await acquireLock(lockFile, root);
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true, mode: 0o755 });

  // tmp/ is emptied at start and the directory is locked: a per-process prefix and a counter make unique names
  const tempPrefix = randomBytes(6).toString('hex');
  let tempCount = 0;
  const tempPath = (suffix = '') => join(dirs.tmp, `${tempPrefix}-${(tempCount++).toString(36)}${suffix}`);
  async function clearTmp(): Promise<number> {
    const names = await readdir(dirs.tmp).catch(() => []);
    for (const n of names) await rm(join(dirs.tmp, n), { recursive: true, force: true });
    return names.length;
  }
  if (!o.readOnly) await clearTmp();

  const retryMs = o.writeRetryMs ?? S3_WRITE_RETRY_MS;
  const cache = new LocalBlobCache(dirs.blobs, o.settings.local_cache_size, tempPath);
  const entries = s3Entries({ client, loc, localRoot: root, tempPath, putRetryMs: retryMs, onRetry: o.onRetry });
  const referencedInBucket = async () => {
    const out = new Set<string>();
    for (const inst of await entries.instances()) for await (const e of entries.list(inst)) out.add(e.blob.replace(/^sha256:/, ''));
    return out;
  };
  const blobs = s3Blobs({ client, loc, cache, tempPath, commitRetryMs: retryMs, onRetry: o.onRetry, referencedInBucket, deleteGraceMs: o.deleteGraceMs });

  async function writeLocal(file: string, data: string | Buffer): Promise<void> {
    const temp = tempPath('.w');
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(temp, data);
    await rename(temp, file);
  }
  const localState = (name: string, ext = '.json') => {
    if (!STATE_NAME.test(name)) throw new Error(`bad state document name ${name}`);
    return join(dirs.state, `${name}${ext}`);
  };
  // a node's own documents (scheduler timings, status events: names without an instance) stay local;
  // an instance's documents (pins, learned targets, a mode's state) are shared through the bucket, with a
  // local copy read when the bucket does not answer
  const shared = (name: string) => name.includes('/');
  const state: StateStore = {
    async read(name) {
      const file = localState(name);
      if (shared(name)) {
        try {
          const r = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: s3Key(loc, `state/${name}.json`) }), quickly());
          const text = await r.Body!.transformToString('utf8');
          await writeLocal(file, text).catch(() => undefined);
          return JSON.parse(text) as unknown;
        } catch (e) {
          if (isNotFound(e)) return null;
        }
      }
      try { return JSON.parse(await readFile(file, 'utf8')) as unknown; } catch { return null; }
    },
    async write(name, doc) {
      const text = JSON.stringify(doc);
      await writeLocal(localState(name), text);
      if (!shared(name)) return;
      await retryFor(() => client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: s3Key(loc, `state/${name}.json`), Body: text, ContentType: 'application/json' })),
        { forMs: retryMs, onRetry: (e, attempt) => o.onRetry?.('state', e, attempt) });
    },
  };
  // the entry index snapshot describes this node's index: local
  const snapshots: SnapshotStore = {
    async take(name) {
      const p = localState(name, '.snapshot');
      try { const data = await readFile(p); await unlink(p); return data; } catch { return null; }
    },
    write: (name, data) => writeLocal(localState(name, '.snapshot'), data),
  };

  // bytes in the bucket's blobs/ (listed in the background at start, then counted as uploads land)
  let listedBlobBytes = 0;
  void (async () => { let n = 0; for await (const b of blobs.list()) n += b.size; listedBlobBytes = n; })().catch(() => undefined);

  return {
    blobs, entries, state, snapshots,
    shared: true,
    tempPath,
    clear: clearTmp,
    privateDir(inst) {
      if (!/^[A-Za-z0-9_-]+$/.test(inst)) throw new Error(`bad instance name ${inst}`);
      const d = join(dirs.modes, inst);
      if (!d.startsWith(dirs.modes + sep)) throw new Error('privateDir escapes the store');
      return d;
    },
    diskUsage: (blobOwner, opts) => measureS3({ client, loc, localRoot: root, entries }, blobOwner, opts),
    async usage() {
      let tmpBytes = 0;
      for (const n of await readdir(dirs.tmp).catch(() => [])) tmpBytes += await stat(join(dirs.tmp, n)).then((s) => s.size, () => 0);
      const fs = await statfs(root);
      return { blobBytes: listedBlobBytes + blobs.uploadedBytes(), tmpBytes, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize, localCacheBytes: cache.bytes };
    },
    async close() {
      client.destroy();
      if (!o.readOnly) await releaseLock(lockFile);
    },
  } as Store;
}
