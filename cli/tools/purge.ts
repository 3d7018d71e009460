// `cache-proxy purge <instance> <glob>`: through the running proxy (POST /-/admin/purge, so its in-memory index
// and remembered answers follow); with no proxy answering, on the backend directly under the store's lock
// (records removed; their blobs go at the next start's blob GC).
import type { EffectiveConfig } from '../../engine/config/types.js';
import { resolve } from 'node:path';
import { openStore, localDirOf } from '../../engine/cache/open-store.js';
import { isS3Backend } from '../../engine/cache/s3-location.js';
import { keyGlob } from '../../engine/cache/key-glob.js';
import { humanBytes, proxyApi, proxyRunning } from './proxy-api.js';

interface Result { purged: number; bytes: number; keys: string[] }

export async function runPurge(cfg: EffectiveConfig, inst: string, glob: string, o: { url?: string; json?: boolean; offline?: boolean }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const api = proxyApi(cfg, o.url);
  let r: Result;
  let where: string;
  if (!o.offline && (await proxyRunning(cfg, api.base))) {
    if (!cfg.server.admin.token) { err(`cache-proxy purge: a proxy runs at ${api.base}; purging through it needs server.admin.token in the configuration\n`); return 1; }
    const res = await api.admin('purge', { instance: inst, glob });
    if (res.status !== 200) { err(`cache-proxy purge: ${api.base} answered ${res.status}: ${(await res.text()).trim()}\n`); return 1; }
    r = (await res.json()) as Result;
    where = `through the proxy at ${api.base}`;
  } else {
    if (!cfg.instances.some((i) => i.name === inst)) { err(`cache-proxy purge: no instance named "${inst}" in the configuration\n`); return 1; }
    const backend = isS3Backend(cfg.server.backend) ? cfg.server.backend : resolve(localDirOf(cfg));
    // the lock refuses when a proxy holds the store but did not answer (another bind, or still starting)
    const store = await openStore(cfg);
    try {
      const match = keyGlob(glob);
      const hits: { keyHash: string; key: string; size: number }[] = [];
      for await (const e of store.entries.list(inst)) if (match.test(e.key)) hits.push(e);
      for (const h of hits) await store.entries.delete(inst, h.keyHash);
      r = { purged: hits.length, bytes: hits.reduce((n, h) => n + h.size, 0), keys: hits.map((h) => h.key).sort() };
    } finally { await store.close(); }
    where = `in ${backend} (no proxy answered at ${api.base}; the blobs go at its next start)`;
  }
  if (o.json) out(JSON.stringify(r, null, 2) + '\n');
  else { for (const k of r.keys) out(`purged ${k}\n`); out(`${r.purged} entries, ${humanBytes(r.bytes)} purged ${where}\n`); }
  return 0;
}
