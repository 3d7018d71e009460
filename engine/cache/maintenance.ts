// Expiry cleanup, blob GC and LRU eviction under storage.max_size.
import type { Store } from './store.js';
import type { EntryIndex, IndexRecord } from './entry-index.js';
import type { Logger } from '../mode.js';
import { m } from '../metrics.js';

const yieldLoop = () => new Promise((r) => setImmediate(r));

async function removeEntry(store: Store, index: EntryIndex, r: IndexRecord): Promise<void> {
  await store.entries.delete(r.inst, r.keyHash);
  index.remove(r.inst, r.keyHash); // drops the blob when nothing else references it
}

export async function expireCleanup(o: { store: Store; index: EntryIndex; inst: string; now: number; batchSize: number; dryRun: boolean; signal?: AbortSignal; log?: Logger; onRemoved?: (keyHash: string) => void }): Promise<{ removed: number; keys: string[] }> {
  const batch = o.batchSize > 0 ? o.batchSize : 500;
  let removed = 0;
  const keys: string[] = [];
  if (o.dryRun) {
    const all = o.index.expired(o.inst, o.now, Number.MAX_SAFE_INTEGER);
    o.log?.info('expire_cleanup dry run', { instance: o.inst, would_remove: all.length, keys: all.slice(0, 20).map((r) => r.keyHash) });
    return { removed: 0, keys: all.slice(0, 20).map((r) => r.keyHash) };
  }
  for (;;) {
    if (o.signal?.aborted) break;
    const list = o.index.expired(o.inst, o.now, batch);
    if (!list.length) break;
    for (const r of list) {
      await removeEntry(o.store, o.index, r);
      o.onRemoved?.(r.keyHash);
      if (keys.length < 20) keys.push(r.keyHash);
      removed++;
    }
    m.expired.inc({ instance: o.inst }, list.length);
    await yieldLoop();
  }
  return { removed, keys };
}

export async function blobGc(o: { store: Store; index: EntryIndex; graceMs?: number; extraReferences: () => Promise<Set<string>>; inProgress: () => Set<string>; signal?: AbortSignal; now?: number }): Promise<{ deleted: number }> {
  const grace = o.graceMs ?? 3600_000;
  const now = o.now ?? Date.now();
  const marked = o.index.referencedBlobs();
  for (const d of await o.extraReferences()) marked.add(d);
  let deleted = 0, n = 0;
  for await (const b of o.store.blobs.list()) {
    if (o.signal?.aborted) break;
    if (marked.has(b.digest) || o.inProgress().has(b.digest) || now - b.mtime.getTime() < grace) continue;
    if (o.index.isReferenced(b.digest)) continue; // referenced since the mark
    await o.store.blobs.delete(b.digest);
    deleted++;
    if (++n % 200 === 0) await yieldLoop();
  }
  m.blobGcDeleted.inc(deleted);
  return { deleted };
}

export async function evict(o: {
  store: Store; index: EntryIndex; maxSize: number; instanceQuotas: Map<string, number>; minFree: number;
  busyKeys: (inst: string, keyHash: string) => boolean; onEvicted?: (inst: string, keyHash: string) => void;
}): Promise<Record<'size' | 'quota' | 'low_space', number>> {
  const counts = { size: 0, quota: 0, low_space: 0 };
  const run = async (inst: string | null, over: () => Promise<number>, reason: 'size' | 'quota' | 'low_space') => {
    let excess = await over();
    if (excess <= 0) return;
    for (const r of o.index.lruCandidates(inst)) {
      if (excess <= 0) break;
      if (o.busyKeys(r.inst, r.keyHash)) continue;
      await removeEntry(o.store, o.index, r);
      o.onEvicted?.(r.inst, r.keyHash);
      counts[reason]++;
      m.evictions.inc({ instance: r.inst, reason });
      m.evictedBytes.inc({ instance: r.inst, reason }, r.size);
      // a shared blob counts fully toward each instance's quota, but frees disk only with its last reference
      if (reason === 'quota' || !o.index.isReferenced(r.blob)) excess -= r.size;
    }
  };
  if (Number.isFinite(o.maxSize)) {
    const target = o.maxSize * 0.95;
    const first = await o.store.usage();
    if (first.blobBytes + first.tmpBytes > o.maxSize) await run(null, async () => { const u = await o.store.usage(); return u.blobBytes + u.tmpBytes - target; }, 'size');
  }
  for (const [inst, quota] of o.instanceQuotas) {
    if (o.index.bytes(inst) > quota) await run(inst, async () => o.index.bytes(inst) - quota * 0.95, 'quota');
  }
  if (o.minFree > 0) {
    const u = await o.store.usage();
    if (u.freeBytes < o.minFree) await run(null, async () => { const x = await o.store.usage(); return o.minFree / 0.95 - x.freeBytes; }, 'low_space');
  }
  return counts;
}
