// Purge: remove the entries of an instance whose keys match a glob, through the running engine so its
// in-memory index, remembered answers and blob references follow (POST /-/admin/purge, `cache-proxy purge`).
import type { EngineCtx } from './pipeline/context.js';
import { deleteEntry } from './pipeline/entries.js';
import { keyGlob } from './cache/key-glob.js';

export interface PurgeResult { instance: string; glob: string; purged: number; bytes: number; keys: string[] }

export async function purgeEntries(ctx: EngineCtx, inst: string, glob: string): Promise<PurgeResult> {
  const match = keyGlob(glob);
  const hits: { keyHash: string; key: string; size: number }[] = [];
  for await (const e of ctx.store.entries.list(inst)) if (match.test(e.key)) hits.push({ keyHash: e.keyHash, key: e.key, size: e.size });
  for (const h of hits) await deleteEntry(ctx, inst, h.keyHash);
  return { instance: inst, glob, purged: hits.length, bytes: hits.reduce((n, h) => n + h.size, 0), keys: hits.map((h) => h.key).sort() };
}
