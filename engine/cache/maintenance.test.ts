import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync, utimesSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { openFsStore } from './fs-store.js';
import { EntryIndex } from './entry-index.js';
import { expireCleanup, blobGc, evict } from './maintenance.js';
import type { Entry, Store } from './store.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const dirs: string[] = [];
async function fresh(): Promise<{ store: Store; index: EntryIndex; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'maint-'));
  dirs.push(dir);
  const store = await openFsStore(dir);
  const index = new EntryIndex();
  index.onUnreferenced = (b) => { void store.blobs.delete(b); };
  await index.rebuild(store);
  return { store, index, dir };
}
async function put(store: Store, index: EntryIndex, inst: string, key: string, body: Buffer, o: { expiresAt?: number | null; lastUsed?: number } = {}): Promise<Entry> {
  const t = store.tempPath('.part');
  writeFileSync(t, body);
  const d = sha(body);
  await store.blobs.commit(t, d);
  const now = new Date().toISOString();
  const e: Entry = {
    inst, keyHash: sha(Buffer.from(inst + key)), key, kind: 'file', blob: `sha256:${d}`, size: body.length, status: 200, headers: {}, digests: { sha256: d },
    policy: 'immutable', fetched_at: now, validated_at: now, last_used_at: new Date(o.lastUsed ?? Date.now()).toISOString(),
    expires_at: o.expiresAt === null ? null : new Date(o.expiresAt ?? Date.now() + 720 * 3600_000).toISOString(),
  };
  await store.entries.put(e);
  index.add(e);
  return e;
}
const blobCount = (dir: string) => readdirSync(join(dir, 'blobs', 'sha256')).flatMap((p) => readdirSync(join(dir, 'blobs', 'sha256', p))).length;

test('§10.19 cleanup removes only expired entries (rule lifetime), dry_run removes nothing', async () => {
  const { store, index, dir } = await fresh();
  for (let i = 0; i < 5; i++) await put(store, index, 'files', `short/${i}`, randomBytes(100), { expiresAt: Date.now() - 1000 });
  for (let i = 0; i < 5; i++) await put(store, index, 'files', `long/${i}`, randomBytes(100));
  const dry = await expireCleanup({ store, index, inst: 'files', now: Date.now(), batchSize: 2, dryRun: true });
  assert.is(dry.removed, 0);
  assert.is(index.count('files'), 10);
  const r = await expireCleanup({ store, index, inst: 'files', now: Date.now(), batchSize: 2, dryRun: false });
  assert.is(r.removed, 5, 'batches continue until done');
  assert.is(index.count('files'), 5);
  await new Promise((res) => setTimeout(res, 50));
  assert.is(blobCount(dir), 5, 'blobs of removed entries deleted at once');
  await store.close();
});

test('§10.19 two instances with identical bytes share one blob; deleting one entry keeps it', async () => {
  const { store, index, dir } = await fresh();
  const body = randomBytes(1000);
  const a = await put(store, index, 'a', 'x', body);
  await put(store, index, 'b', 'x', body);
  assert.is(blobCount(dir), 1);
  await store.entries.delete('a', a.keyHash);
  index.remove('a', a.keyHash);
  await new Promise((res) => setTimeout(res, 50));
  assert.is(blobCount(dir), 1, 'still referenced by b');
  await store.close();
});

test('§10.19 blob_gc removes an unreferenced blob older than the grace, keeps a younger one', async () => {
  const { store, index, dir } = await fresh();
  const old = randomBytes(10), young = randomBytes(10);
  for (const b of [old, young]) { const t = store.tempPath(); writeFileSync(t, b); await store.blobs.commit(t, sha(b)); }
  const oldPath = store.blobs.localPath!(sha(old));
  utimesSync(oldPath, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
  const kept = await put(store, index, 'k', 'kept', randomBytes(10));
  utimesSync(store.blobs.localPath!(kept.blob.slice(7)), new Date(0), new Date(0));
  const r = await blobGc({ store, index, extraReferences: async () => new Set(), inProgress: () => new Set() });
  assert.is(r.deleted, 1);
  assert.not.ok(existsSync(oldPath));
  assert.ok(existsSync(store.blobs.localPath!(sha(young))));
  assert.ok(existsSync(store.blobs.localPath!(kept.blob.slice(7))), 'referenced blob kept however old');
  assert.is(blobCount(dir), 2);
  await store.close();
});

test('§10.20 LRU: max 10 MiB, 15 × 1 MiB → ≤ 10 MiB, least recently used gone, quota evicts only its instance', async () => {
  const { store, index } = await fresh();
  const MiB = 1024 * 1024;
  const es: Entry[] = [];
  for (let i = 0; i < 15; i++) es.push(await put(store, index, 'a', `o${i}`, randomBytes(MiB), { lastUsed: Date.now() - (15 - i) * 1000 }));
  index.touch('a', es[0]!.keyHash); // re-read
  const r = await evict({ store, index, maxSize: 10 * MiB, instanceQuotas: new Map(), minFree: 0, busyKeys: () => false });
  await new Promise((res) => setTimeout(res, 50));
  const u = await store.usage();
  assert.ok(u.blobBytes <= 10 * MiB, `${u.blobBytes} bytes`);
  assert.ok(index.get('a', es[0]!.keyHash), 're-read object kept');
  assert.not.ok(index.get('a', es[1]!.keyHash), 'least recently used gone');
  assert.ok(r.size >= 5);
  for (let i = 0; i < 3; i++) await put(store, index, 'b', `q${i}`, randomBytes(MiB));
  const before = index.count('a');
  const q = await evict({ store, index, maxSize: Infinity, instanceQuotas: new Map([['b', 2 * MiB]]), minFree: 0, busyKeys: () => false });
  assert.ok(q.quota >= 1);
  assert.ok(index.bytes('b') <= 2 * MiB);
  assert.is(index.count('a'), before, 'other instance untouched');
  await store.close();
});

test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
test.run();
