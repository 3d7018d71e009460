// `cache-proxy ls <instance> [glob]`: the stored entries of an instance, read from the backend's records
// (read-only, safe while a proxy runs: records are replaced by rename, never written in place).
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { EffectiveConfig } from '../../engine/config/types.js';
import { expandHome } from '../../engine/config/values.js';
import { keyGlob } from '../../engine/cache/key-glob.js';
import type { Entry } from '../../engine/cache/store.js';
import { humanBytes } from './proxy-api.js';

export interface Listed { key: string; kind: string; size: number; stored_at: string; blob: string }

export async function listEntries(backend: string, inst: string, glob = '*'): Promise<Listed[]> {
  const match = keyGlob(glob);
  const base = join(backend, 'entries', inst);
  const out: Listed[] = [];
  for (const pre of await readdir(base).catch(() => [] as string[])) {
    for (const f of await readdir(join(base, pre)).catch(() => [] as string[])) {
      const e = await readFile(join(base, pre, f), 'utf8').then((t) => JSON.parse(t) as Entry, () => null);
      if (e && typeof e.key === 'string' && match.test(e.key)) out.push({ key: e.key, kind: e.kind, size: e.size, stored_at: e.fetched_at, blob: e.blob });
    }
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export async function runLs(cfg: EffectiveConfig, inst: string, glob: string | undefined, o: { json?: boolean }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (!cfg.instances.some((i) => i.name === inst)) { err(`cache-proxy ls: no instance named "${inst}" in the configuration (${cfg.instances.map((i) => i.name).join(', ') || 'none'})\n`); return 1; }
  const list = await listEntries(resolve(expandHome(cfg.server.backend)), inst, glob);
  if (o.json) { out(JSON.stringify(list, null, 2) + '\n'); return 0; }
  for (const e of list) out(`${e.stored_at}  ${e.kind.padEnd(12)}  ${String(e.size).padStart(12)}  ${e.key}\n`);
  out(`${list.length} entries, ${humanBytes(list.reduce((n, e) => n + e.size, 0))}\n`);
  return 0;
}
