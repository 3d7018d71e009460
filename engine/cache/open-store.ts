// The one place a configuration's backend becomes a store: a directory → the filesystem store, s3://bucket/prefix
// → the S3 store (with its local directory from storage.s3).
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { EffectiveConfig, S3Settings } from '../config/types.js';
import { expandHome } from '../config/values.js';
import { blobDigest, type Entry, type Store } from './store.js';
import { measureBackend, blobOwnersOnDisk, type DiskUsage } from './disk-usage.js';
import { openFsStore } from './fs-store.js';
import { openS3Store } from './s3-store.js';
import { isS3Backend, parseS3Backend, type S3Location } from './s3-location.js';

const S3_DEFAULTS: S3Settings = { region: 'us-east-1', force_path_style: false, local_dir: '~/.cache/cache-proxy-s3', local_cache_size: 10 * 1024 ** 3 };

/** the directory on this machine the store keeps its lock, tmp/ and private data in */
export function localDirOf(cfg: Pick<EffectiveConfig, 'server' | 'storage'>): string {
  return expandHome(isS3Backend(cfg.server.backend) ? (cfg.storage.s3 ?? S3_DEFAULTS).local_dir : cfg.server.backend);
}

export async function openStore(cfg: Pick<EffectiveConfig, 'server' | 'storage'>, o: { onRetry?: (op: string, err: Error, attempt: number) => void } = {}): Promise<Store> {
  const dir = localDirOf(cfg);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  if (!isS3Backend(cfg.server.backend)) return openFsStore(dir);
  return openS3Store({ loc: s3LocationOf(cfg), settings: { ...S3_DEFAULTS, ...cfg.storage.s3, local_dir: dir }, onRetry: o.onRetry });
}

function s3LocationOf(cfg: Pick<EffectiveConfig, 'server'>): S3Location {
  const loc = parseS3Backend(cfg.server.backend);
  if (typeof loc === 'string') throw new Error(`server.backend: ${loc}`);
  return loc;
}

/**
 * What the store takes, measured without a running proxy: a directory is walked (blob owners from its records);
 * a bucket is listed (owners from its records) together with the local directory.
 */
export async function measureOffline(cfg: Pick<EffectiveConfig, 'server' | 'storage'>): Promise<{ usage: DiskUsage; source: string }> {
  if (!isS3Backend(cfg.server.backend)) {
    const root = resolve(localDirOf(cfg));
    const owners = await blobOwnersOnDisk(root);
    return { usage: await measureBackend(root, (h) => owners.get(h), { kinds: true }), source: `${root} on disk` };
  }
  const store = await openS3View(cfg);
  try {
    const owners = new Map<string, string>();
    for (const inst of (await store.entries.instances()).sort()) for await (const e of store.entries.list(inst)) if (!owners.has(blobDigest(e.blob))) owners.set(blobDigest(e.blob), inst);
    return { usage: await store.diskUsage((h) => owners.get(h), { kinds: true }), source: `${cfg.server.backend} and ${resolve(localDirOf(cfg))}` };
  } finally { await store.close(); }
}

/** every entry record of an instance, read without a running proxy's lock */
export async function* entriesOffline(cfg: Pick<EffectiveConfig, 'server' | 'storage'>, inst: string): AsyncIterable<Entry> {
  const store = isS3Backend(cfg.server.backend) ? await openS3View(cfg) : undefined;
  if (!store) { yield* fsEntries(resolve(localDirOf(cfg)), inst); return; }
  try { yield* store.entries.list(inst); } finally { await store.close(); }
}

async function* fsEntries(root: string, inst: string): AsyncIterable<Entry> {
  const base = join(root, 'entries', inst);
  for (const pre of await readdir(base).catch(() => [] as string[])) {
    for (const f of await readdir(join(base, pre)).catch(() => [] as string[])) {
      const e = await readFile(join(base, pre, f), 'utf8').then((t) => JSON.parse(t) as Entry, () => null);
      if (e && typeof e.key === 'string') yield e;
    }
  }
}

const openS3View = (cfg: Pick<EffectiveConfig, 'server' | 'storage'>) =>
  openS3Store({ loc: s3LocationOf(cfg), settings: { ...S3_DEFAULTS, ...cfg.storage.s3, local_dir: localDirOf(cfg) }, readOnly: true });
