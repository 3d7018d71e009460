// The filesystem store: content-addressed blobs, one JSON record per entry,
// atomic writes (temp + fsync + rename + directory fsync), an exclusive lock, tmp/ emptied at start.
import { mkdir, readFile, readdir, rm, stat, unlink, statfs, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { CommitWorker } from './commit-worker.js';
import { StoreError, acquireLock, releaseLock } from './store-lock.js';
import { measureBackend } from './disk-usage.js';
import { join, resolve, sep } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Store, Entry, BlobStore, EntryStore, StateStore, SnapshotStore } from './store.js';

const LIST_WINDOW = 64;

export { StoreError };

const FORMAT = 1;
const HEX64 = /^[0-9a-f]{64}$/;

export function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EIO';
}

/** where an entry record lives under a backend directory */
export function entryFile(backend: string, inst: string, keyHash: string): string {
  if (!HEX64.test(keyHash) || !/^[A-Za-z0-9_-]+$/.test(inst)) throw new Error('bad entry address');
  return join(backend, 'entries', inst, keyHash.slice(0, 2), `${keyHash}.json`);
}

export async function openFsStore(backend: string): Promise<Store> {
  const root = resolve(backend);
  const dirs = { blobs: join(root, 'blobs', 'sha256'), entries: join(root, 'entries'), tmp: join(root, 'tmp'), modes: join(root, 'modes'), state: join(root, 'state') };
  await mkdir(root, { recursive: true, mode: 0o755 });
  // store format marker
  const marker = join(root, 'store.json');
  try {
    const doc = JSON.parse(await readFile(marker, 'utf8')) as { format?: number };
    if (doc.format !== FORMAT) throw new StoreError('E_FORMAT', `${marker}: unknown store format ${String(doc.format)}`);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new StoreError('E_FORMAT', `${marker}: unreadable store marker`);
    await writeFile(marker, JSON.stringify({ format: FORMAT }) + '\n');
  }
  // exclusive lock
  const lockFile = join(root, 'lock');
  await acquireLock(lockFile, root);
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true, mode: 0o755 });

  let blobBytes = 0;
  let tmpBytes = 0;
  // tmp/ is emptied at start and the store is locked: a per-process prefix and a counter make unique names
  const tempPrefix = randomBytes(6).toString('hex');
  let tempCount = 0;
  const tempPath = (suffix = '') => join(dirs.tmp, `${tempPrefix}-${(tempCount++).toString(36)}${suffix}`);
  // writes, fsyncs and renames run on a thread of their own, batched: none of them waits in the request path
  const committer = new CommitWorker();

  async function atomicWrite(target: string, data: string | Buffer): Promise<void> {
    await committer.run({ op: 'write', temp: tempPath('.w'), target, data });
  }

  const blobPath = (d: string) => {
    if (!HEX64.test(d)) throw new Error(`bad blob digest ${d.slice(0, 80)}`);
    return join(dirs.blobs, d.slice(0, 2), d);
  };
  const entryPath = (inst: string, keyHash: string) => entryFile(root, inst, keyHash);

  const blobs: BlobStore = {
    async stat(d) {
      try { const s = await stat(blobPath(d)); return { size: s.size }; } catch { return null; }
    },
    async open(d, range) {
      return createReadStream(blobPath(d), { highWaterMark: 256 * 1024, ...(range ? { start: range.start, end: range.end } : {}) }) as Readable;
    },
    localPath: (d) => blobPath(d),
    localFile: async (d) => blobPath(d),
    async commit(temp, d, data) {
      const r = await committer.run({ op: 'blob', temp, target: blobPath(d), data });
      if (r.existed) return 'existed';
      blobBytes += r.size ?? 0;
      return 'stored';
    },
    async delete(d) {
      const p = blobPath(d);
      const size = await stat(p).then((s) => s.size, () => 0);
      await unlink(p).catch(() => undefined);
      blobBytes = Math.max(0, blobBytes - size);
    },
    async *list() {
      for (const pre of (await readdir(dirs.blobs).catch(() => [])).sort()) {
        for (const name of (await readdir(join(dirs.blobs, pre)).catch(() => [])).sort()) {
          const s = await stat(join(dirs.blobs, pre, name)).catch(() => null);
          if (s && HEX64.test(name)) yield { digest: name, size: s.size, mtime: s.mtime };
        }
      }
    },
  };

  const entries: EntryStore = {
    async get(inst, keyHash) {
      const p = entryPath(inst, keyHash);
      let text: string;
      try { text = await readFile(p, 'utf8'); } catch { return null; }
      try {
        const e = JSON.parse(text) as Entry;
        if (e.keyHash !== keyHash || typeof e.blob !== 'string') throw new Error('bad record');
        return e;
      } catch {
        await unlink(p).catch(() => undefined); // unparseable record: dropped when met
        return null;
      }
    },
    put: (e) => atomicWrite(entryPath(e.inst, e.keyHash), JSON.stringify(e)),
    async delete(inst, keyHash) { await unlink(entryPath(inst, keyHash)).catch(() => undefined); },
    async *list(inst) {
      const base = join(dirs.entries, inst);
      for (const pre of await readdir(base).catch(() => [] as string[])) {
        const names = (await readdir(join(base, pre)).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && HEX64.test(n.slice(0, -5)));
        // a window of reads in flight: a scan of a million records is bound by file-system latency
        for (let i = 0; i < names.length; i += LIST_WINDOW) {
          const batch = await Promise.all(names.slice(i, i + LIST_WINDOW).map((n) => entries.get(inst, n.slice(0, -5))));
          for (const e of batch) if (e) yield e;
        }
      }
    },
    // every write is a rename and every delete an unlink, so a shard directory's mtime moves with its records
    async fingerprint() {
      const h = createHash('sha256');
      for (const inst of (await entries.instances()).sort()) {
        const base = join(dirs.entries, inst);
        for (const pre of (await readdir(base).catch(() => [] as string[])).sort()) {
          const st = await stat(join(base, pre)).catch(() => null);
          h.update(`${inst}/${pre}:${st ? st.mtimeMs : 'gone'}\n`);
        }
      }
      return h.digest('hex');
    },
    async instances() { return (await readdir(dirs.entries).catch(() => [])).filter((n) => /^[A-Za-z0-9_-]+$/.test(n)); },
    async touch(batch) {
      for (const t of batch) {
        const e = await entries.get(t.inst, t.keyHash);
        if (e) await entries.put({ ...e, last_used_at: t.at.toISOString() });
      }
    },
  };

  const state: StateStore = {
    async read(name) {
      try { return JSON.parse(await readFile(statePath(name), 'utf8')) as unknown; } catch { return null; }
    },
    write: (name, doc) => atomicWrite(statePath(name), JSON.stringify(doc)),
  };
  const snapshots: SnapshotStore = {
    async take(name) {
      const p = snapshotPath(name);
      try {
        const data = await readFile(p);
        await unlink(p);
        await committer.run({ op: 'syncdir', dir: dirs.state });
        return data;
      } catch { return null; }
    },
    write: (name, data) => atomicWrite(snapshotPath(name), data),
  };
  const snapshotPath = (name: string) => statePath(name).replace(/\.json$/, '.snapshot');
  function statePath(name: string): string {
    if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)?$/.test(name)) throw new Error(`bad state document name ${name}`);
    return join(dirs.state, `${name}.json`);
  }

  async function clearTmp(): Promise<number> {
    const names = await readdir(dirs.tmp).catch(() => []);
    for (const n of names) await rm(join(dirs.tmp, n), { recursive: true, force: true });
    return names.length;
  }
  await clearTmp();
  // blob byte total (background: large stores must not delay start)
  void (async () => { let n = 0; for await (const b of blobs.list()) n += b.size; blobBytes += n; })();

  return {
    blobs, entries, state, snapshots,
    tempPath,
    clear: clearTmp,
    privateDir(inst) {
      if (!/^[A-Za-z0-9_-]+$/.test(inst)) throw new Error(`bad instance name ${inst}`);
      const d = join(dirs.modes, inst);
      if (!d.startsWith(dirs.modes + sep)) throw new Error('privateDir escapes the store');
      return d;
    },
    diskUsage: (blobOwner, o) => measureBackend(root, blobOwner, o),
    async usage() {
      const names = await readdir(dirs.tmp).catch(() => []);
      tmpBytes = 0;
      for (const n of names) tmpBytes += await stat(join(dirs.tmp, n)).then((s) => s.size, () => 0);
      const fs = await statfs(root);
      return { blobBytes, tmpBytes, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
    },
    async close() {
      await committer.close();
      await releaseLock(lockFile);
    },
  } as Store & { usage(): Promise<{ blobBytes: number; tmpBytes: number; freeBytes: number; totalBytes: number }> };
}
