// The one place a configuration's backend becomes a store: a directory → the filesystem store, s3://bucket/prefix
// → the S3 store (with its local directory from storage.s3).
import { mkdir } from 'node:fs/promises';
import type { EffectiveConfig, S3Settings } from '../config/types.js';
import { expandHome } from '../config/values.js';
import type { Store } from './store.js';
import { openFsStore } from './fs-store.js';
import { openS3Store } from './s3-store.js';
import { isS3Backend, parseS3Backend } from './s3-location.js';

const S3_DEFAULTS: S3Settings = { region: 'us-east-1', force_path_style: false, local_dir: '~/.cache/cache-proxy-s3', local_cache_size: 10 * 1024 ** 3 };

/** the directory on this machine the store keeps its lock, tmp/ and private data in */
export function localDirOf(cfg: Pick<EffectiveConfig, 'server' | 'storage'>): string {
  return expandHome(isS3Backend(cfg.server.backend) ? (cfg.storage.s3 ?? S3_DEFAULTS).local_dir : cfg.server.backend);
}

export async function openStore(cfg: Pick<EffectiveConfig, 'server' | 'storage'>, o: { onRetry?: (op: string, err: Error, attempt: number) => void } = {}): Promise<Store> {
  const dir = localDirOf(cfg);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  if (!isS3Backend(cfg.server.backend)) return openFsStore(dir);
  const loc = parseS3Backend(cfg.server.backend);
  if (typeof loc === 'string') throw new Error(`server.backend: ${loc}`);
  return openS3Store({ loc, settings: { ...S3_DEFAULTS, ...cfg.storage.s3, local_dir: dir }, onRetry: o.onRetry });
}
