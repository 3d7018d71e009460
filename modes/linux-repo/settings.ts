// The repository keys of a mode block, parsed once per instance. The block arrives validated, with the
// defaults of the mode's schema filled in, so nothing here supplies a default of its own.
import { modeSettings, type ModeConfig } from '../../engine/mode.js';
import { parseDuration, parseExpiration, parseSize } from '../../engine/config/values.js';

export interface RepoSettings {
  upstreams: string[];
  refreshMs: number; cleanupMs: number; generationKeep: number; coldWaitMs: number;
  unindexed: 'cache' | 'pass' | 'deny'; verifyArtifacts: boolean; indexKeepUnusedMs: number; idleStopMs: number;
  maxMetadataBytes: number; upstreamByHash: boolean; pdiffs: boolean; artifactExpireMs: number;
}

/** unused unlisted artifacts age out after artifact_expire_after, which is a derived kind key without a schema default */
const ARTIFACT_EXPIRY = '720h';

/** the archive bases, in order, without trailing slashes or repeats */
export const repoUpstreams = (c: ModeConfig): string[] => [...new Set((c.upstreams as string[]).map((u) => u.replace(/\/+$/, '')))];

export const settings = modeSettings(repoSettings);

export function repoSettings(c: ModeConfig): RepoSettings {
  const text = (k: string) => c[k] as string;
  return {
    upstreams: repoUpstreams(c),
    refreshMs: parseDuration(text('refresh_interval')),
    cleanupMs: parseDuration(text('cleanup_interval')),
    generationKeep: c.generation_keep as number,
    coldWaitMs: parseDuration(text('cold_wait')),
    unindexed: c.unindexed_artifacts as RepoSettings['unindexed'],
    verifyArtifacts: c.verify_artifacts === true,
    indexKeepUnusedMs: parseExpiration(text('index_keep_unused')),
    idleStopMs: parseExpiration(text('idle_stop_after')),
    maxMetadataBytes: parseSize(c.max_metadata_file_size as string | number),
    upstreamByHash: c.upstream_by_hash === true,
    pdiffs: c.pdiffs === true,
    artifactExpireMs: parseExpiration(typeof c.artifact_expire_after === 'string' ? c.artifact_expire_after : ARTIFACT_EXPIRY),
  };
}
