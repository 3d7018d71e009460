// The repository keys of a mode block (linux-repos spec §1), parsed once per instance.
import type { ModeConfig } from '../../engine/mode.js';
import { parseDuration, parseExpiration, parseSize } from '../../engine/config/values.js';

export interface RepoSettings {
  upstreams: string[];
  refreshMs: number; cleanupMs: number; generationKeep: number; coldWaitMs: number;
  unindexed: 'cache' | 'pass' | 'deny'; verifyArtifacts: boolean; indexKeepUnusedMs: number; idleStopMs: number;
  maxMetadataBytes: number; upstreamByHash: boolean; pdiffs: boolean; artifactExpireMs: number;
}

const str = (v: unknown, d: string) => (typeof v === 'string' && v !== '' ? v : d);

export function repoSettings(c: ModeConfig, defaults: { refresh: string }): RepoSettings {
  return {
    upstreams: [...new Set(((c.upstreams as string[] | undefined) ?? []).map((u) => u.replace(/\/+$/, '')))],
    refreshMs: parseDuration(str(c.refresh_interval, defaults.refresh)),
    cleanupMs: parseDuration(str(c.cleanup_interval, '6h')),
    generationKeep: typeof c.generation_keep === 'number' && c.generation_keep >= 1 ? c.generation_keep : 2,
    coldWaitMs: parseDuration(str(c.cold_wait, '30s')),
    unindexed: (['cache', 'pass', 'deny'].includes(String(c.unindexed_artifacts)) ? c.unindexed_artifacts : 'cache') as RepoSettings['unindexed'],
    verifyArtifacts: c.verify_artifacts !== false,
    indexKeepUnusedMs: parseExpiration(str(c.index_keep_unused, '168h')),
    idleStopMs: parseExpiration(str(c.idle_stop_after, '720h')),
    maxMetadataBytes: parseSize(str(c.max_metadata_file_size, '512MiB')),
    upstreamByHash: c.upstream_by_hash !== false,
    pdiffs: c.pdiffs !== false,
    artifactExpireMs: parseExpiration(str(c.artifact_expire_after, '720h')),
  };
}
