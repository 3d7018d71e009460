// Disk usage of a backend directory, the way `du -sb` counts it (apparent sizes of every file, directory and
// link, each inode once), split by the instance the path (or, for a blob, its owner) names. Everything else —
// tmp/, the engine's own state, the store marker and lock, shared directories, blobs nobody owns — is `shared`.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface InstanceUsage {
  /** every byte attributed to the instance: the next four summed */
  bytes: number;
  /** blobs its entries reference or its mode holds (a blob shared by several instances counts under one) */
  blob_bytes: number;
  /** entries/<instance>/ */
  record_bytes: number;
  /** state/<instance>/ */
  state_bytes: number;
  /** modes/<instance>/ (a mode's private directory) */
  mode_bytes: number;
  /** with kinds: per entry kind, entries and the bytes of the bodies they name (shared blobs counted per entry) */
  kinds?: Record<string, { entries: number; bytes: number }>;
}

export interface DiskUsage {
  /** what `du -sb <backend>` prints */
  total_bytes: number;
  /** per top-level area (blobs, entries, state, tmp, modes, other), directories included */
  areas: Record<string, number>;
  instances: Record<string, InstanceUsage>;
  /** total_bytes minus every instance's bytes */
  shared_bytes: number;
  measured_at: string;
  walk_ms: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const AREAS = new Set(['blobs', 'entries', 'state', 'tmp', 'modes']);

/**
 * Walk `root`. `blobOwner` names the instance a blob belongs to (unknown → shared). With `kinds`, every entry
 * record is read for its kind and size (an operator's question, not a scrape's).
 */
export async function measureBackend(root: string, blobOwner: (hex: string) => string | undefined, o: { kinds?: boolean } = {}): Promise<DiskUsage> {
  const started = performance.now();
  const seen = new Set<string>();
  const areas: Record<string, number> = {};
  const instances: Record<string, InstanceUsage> = {};
  let total = 0;
  const inst = (name: string) => (instances[name] ??= { bytes: 0, blob_bytes: 0, record_bytes: 0, state_bytes: 0, mode_bytes: 0, ...(o.kinds ? { kinds: {} } : {}) });
  const field = { blobs: 'blob_bytes', entries: 'record_bytes', state: 'state_bytes', modes: 'mode_bytes' } as const;

  // one path: its size counted once per inode, added to its area and (when named) its instance
  async function visit(path: string, rel: string[]): Promise<void> {
    const st = await lstat(path).catch(() => null);
    if (!st) return; // removed while walking
    const id = `${st.dev}:${st.ino}`;
    const fresh = st.nlink <= 1 || !seen.has(id);
    if (st.nlink > 1) seen.add(id);
    const area = rel.length === 0 ? '' : AREAS.has(rel[0]!) ? rel[0]! : 'other';
    if (fresh) {
      total += st.size;
      if (area) areas[area] = (areas[area] ?? 0) + st.size;
      const owner = ownerOf(rel, st.isDirectory());
      if (owner) { const u = inst(owner); u[field[rel[0] as keyof typeof field]] += st.size; u.bytes += st.size; }
      if (o.kinds && rel[0] === 'entries' && rel.length === 4 && st.isFile() && rel[3]!.endsWith('.json')) await countKind(path, inst(rel[1]!));
    }
    if (!st.isDirectory()) return;
    const names = await readdir(path).catch(() => [] as string[]);
    for (const n of names) await visit(join(path, n), [...rel, n]);
  }

  function ownerOf(rel: string[], isDir: boolean): string | undefined {
    const [top, second] = rel;
    if (top === 'blobs') return !isDir && rel.length === 4 && HEX64.test(rel[3]!) ? blobOwner(rel[3]!) : undefined;
    if (top === 'entries' || top === 'modes') return rel.length >= 2 ? second : undefined;
    // state/<instance>/…; state/<name>.json and the index snapshot are the engine's
    if (top === 'state') return rel.length >= 3 || (rel.length === 2 && isDir) ? second : undefined;
    return undefined;
  }

  async function countKind(file: string, u: InstanceUsage): Promise<void> {
    try {
      const e = JSON.parse(await readFile(file, 'utf8')) as { kind?: string; size?: number };
      const k = (u.kinds![e.kind ?? '?'] ??= { entries: 0, bytes: 0 });
      k.entries++;
      k.bytes += e.size ?? 0;
    } catch { /* a record being replaced */ }
  }

  await visit(root, []);
  const attributed = Object.values(instances).reduce((n, u) => n + u.bytes, 0);
  return { total_bytes: total, areas, instances, shared_bytes: total - attributed, measured_at: new Date().toISOString(), walk_ms: Math.round(performance.now() - started) };
}

/** the owner of each blob from the entries' records on disk (no running engine to ask) */
export async function blobOwnersOnDisk(root: string): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  const base = join(root, 'entries');
  for (const name of (await readdir(base).catch(() => [] as string[])).sort()) {
    for (const pre of await readdir(join(base, name)).catch(() => [] as string[])) {
      for (const f of await readdir(join(base, name, pre)).catch(() => [] as string[])) {
        const e = await readFile(join(base, name, pre, f), 'utf8').then((t) => JSON.parse(t) as { blob?: string }, () => null);
        const hex = e?.blob?.replace(/^sha256:/, '');
        if (hex && !owners.has(hex)) owners.set(hex, name);
      }
    }
  }
  return owners;
}

/**
 * A walk shared by its callers and kept while it is young: at most one walk runs, and a result is reused for
 * max(2 s, 20 × its walk time), so a large store is walked seldom and a small one is near exact.
 */
export class BackendUsage {
  private last?: DiskUsage;
  private running?: Promise<DiskUsage>;
  constructor(private walk: (kinds: boolean) => Promise<DiskUsage>) {}

  async get(o: { fresh?: boolean; kinds?: boolean } = {}): Promise<DiskUsage> {
    const l = this.last;
    if (!o.fresh && !o.kinds && l && Date.now() - Date.parse(l.measured_at) < Math.max(2000, 20 * l.walk_ms)) return l;
    if (o.kinds) return (this.last = await this.walk(true));
    this.running ??= this.walk(false).then((u) => { this.last = u; return u; }).finally(() => { this.running = undefined; });
    return this.running;
  }

  /** the latest result without walking (undefined before the first walk) */
  cached(): DiskUsage | undefined { return this.last; }
}
