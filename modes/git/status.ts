// The status row of one mirror: state, last sync, snapshot age, refs, size on disk, the last failure.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDuration } from '../../engine/config/values.js';
import { redactWith as redact } from '../../engine/log.js';
import type { Repository } from './repository.js';

async function duBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += await duBytes(p);
    else if (e.isFile()) n += await stat(p).then((s) => s.size, () => 0);
  }
  return n;
}

/** the mirror's size, walked again only when its snapshot changed (a status page is asked often, a mirror changes seldom) */
const sizes = new WeakMap<Repository, { snapshot: number | undefined; bytes: number }>();
async function mirrorBytes(r: Repository): Promise<number> {
  const n = r.mirror.snapshot?.n;
  const known = sizes.get(r);
  if (known && known.snapshot === n) return known.bytes;
  const bytes = await duBytes(r.mirror.dir);
  sizes.set(r, { snapshot: n, bytes });
  return bytes;
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

export async function repoStatus(r: Repository): Promise<Record<string, unknown>> {
  const s = r.mirror.snapshot;
  const now = Date.now();
  return {
    repository: r.spec.path || '/',
    upstream: r.mirror.upstream,
    state: r.state,
    snapshot: s?.n ?? '—',
    last_sync: s?.synced_at ?? '—',
    snapshot_age: s ? formatDuration(Math.round((now - Date.parse(s.published_at)) / 1000) * 1000) || '0s' : '—',
    refs: s ? Object.keys(s.refs).length : 0,
    size: mib(await mirrorBytes(r)),
    ...(r.failure ? { error: redact(r.failure.reason, r.mirror.secrets), next_attempt: new Date(r.failure.retryAt).toISOString() } : {}),
  };
}
