// `cache-proxy ls <instance> [glob]`: the stored entries of an instance, read from the backend's records
// (read-only, safe while a proxy runs: records are replaced by rename, never written in place).
import type { EffectiveConfig } from '../../engine/config/types.js';
import { entriesOffline } from '../../engine/cache/open-store.js';
import { keyGlob } from '../../engine/cache/key-glob.js';
import { humanBytes } from './proxy-api.js';

export interface Listed { key: string; kind: string; size: number; stored_at: string; blob: string }

export async function listEntries(cfg: Pick<EffectiveConfig, 'server' | 'storage'>, inst: string, glob = '*'): Promise<Listed[]> {
  const match = keyGlob(glob);
  const out: Listed[] = [];
  for await (const e of entriesOffline(cfg, inst)) if (match.test(e.key)) out.push({ key: e.key, kind: e.kind, size: e.size, stored_at: e.fetched_at, blob: e.blob });
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export async function runLs(cfg: EffectiveConfig, inst: string, glob: string | undefined, o: { json?: boolean }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (!cfg.instances.some((i) => i.name === inst)) { err(`cache-proxy ls: no instance named "${inst}" in the configuration (${cfg.instances.map((i) => i.name).join(', ') || 'none'})\n`); return 1; }
  const list = await listEntries(cfg, inst, glob);
  if (o.json) { out(JSON.stringify(list, null, 2) + '\n'); return 0; }
  for (const e of list) out(`${e.stored_at}  ${e.kind.padEnd(12)}  ${String(e.size).padStart(12)}  ${e.key}\n`);
  out(`${list.length} entries, ${humanBytes(list.reduce((n, e) => n + e.size, 0))}\n`);
  return 0;
}
