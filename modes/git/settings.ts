// The git block parsed once per instance: the fixed repositories (legacy `upstream` at the mount itself and
// `repositories[]`), the on-demand rule (`upstream_base` + `allow`) and the timings every mirror uses.
import { modeSettings, type ModeConfig } from '../../engine/mode.js';
import { parseDuration, parseExpiration, parseFreshness, parseSize } from '../../engine/config/values.js';
import type { BackendName } from './backend.js';
import { gitAvailable } from './git-process.js';

export interface GitAuth { type: 'basic' | 'token'; username?: string; password: string }

/** what a mirror needs to know about its upstream and its own timings */
export interface RepoSpec {
  /** mount-relative path without `.git` ('' = the mount itself) */
  path: string;
  upstream: string;
  auth?: GitAuth;
  proxy?: string;
  syncIntervalMs: number;
  /** undefined = no on-request sync */
  freshForMs?: number;
  forceOverwrite: boolean;
  onDemand: boolean;
}

export interface GitSettings {
  fixed: RepoSpec[];
  onDemand?: { base: string; allow: string[] };
  syncWaitMs: number;
  cloneWaitMs: number;
  failedRetryAfterMs: number;
  operationTimeoutMs: number;
  protocolV2: boolean;
  maxRepositories: number;
  idleExpireMs: number;
  backend: BackendName;
  /** isomorphic-git backend: the largest pack it builds (in memory) for one response */
  maxPackSize: number;
  /** the defaults of per-repository keys, applied to on-demand mirrors */
  defaults: Pick<RepoSpec, 'auth' | 'proxy' | 'syncIntervalMs' | 'freshForMs' | 'forceOverwrite'>;
}

export const settings = modeSettings((c: ModeConfig) => gitSettings(c));

const trimSlashes = (p: string) => p.replace(/^\/+|\/+$/g, '');
/** `a/b.git` and `a/b` name one repository */
export const canonicalPath = (p: string) => trimSlashes(p).replace(/\.git$/, '');

/** the configured backend, else `git` when it can run here, else `isomorphic-git` */
export function resolveBackend(configured: unknown, gitOnPath: () => boolean): BackendName {
  if (configured === 'git' || configured === 'isomorphic-git') return configured;
  return gitOnPath() ? 'git' : 'isomorphic-git';
}

export function gitSettings(c: ModeConfig, gitOnPath: () => boolean = gitAvailable): GitSettings {
  const text = (k: string) => c[k] as string | undefined;
  const fresh = (v: unknown) => (typeof v === 'string' ? parseFreshness(v) : undefined);
  const defaults: GitSettings['defaults'] = {
    auth: c.auth as GitAuth | undefined,
    proxy: text('proxy'),
    syncIntervalMs: parseDuration(text('sync_interval') ?? '0s'),
    freshForMs: fresh(c.fresh_for),
    forceOverwrite: c.force_overwrite !== false,
  };
  const fixed: RepoSpec[] = [];
  if (typeof c.upstream === 'string') fixed.push({ path: '', upstream: c.upstream, ...defaults, onDemand: false });
  for (const r of (c.repositories ?? []) as Record<string, unknown>[]) {
    fixed.push({
      path: canonicalPath(String(r.path)), upstream: String(r.upstream),
      auth: (r.auth as GitAuth | undefined) ?? defaults.auth,
      proxy: (r.proxy as string | undefined) ?? defaults.proxy,
      syncIntervalMs: typeof r.sync_interval === 'string' ? parseDuration(r.sync_interval) : defaults.syncIntervalMs,
      freshForMs: r.fresh_for !== undefined ? fresh(r.fresh_for) : defaults.freshForMs,
      forceOverwrite: typeof r.force_overwrite === 'boolean' ? r.force_overwrite : defaults.forceOverwrite,
      onDemand: false,
    });
  }
  return {
    fixed,
    onDemand: typeof c.upstream_base === 'string' ? { base: c.upstream_base.replace(/\/+$/, ''), allow: (c.allow ?? []) as string[] } : undefined,
    syncWaitMs: parseDuration(text('sync_wait') ?? '10s'),
    cloneWaitMs: parseDuration(text('clone_wait') ?? '60s'),
    failedRetryAfterMs: parseDuration(text('failed_retry_after') ?? '10m'),
    operationTimeoutMs: parseDuration(text('operation_timeout') ?? '0s'),
    protocolV2: c.protocol_v2 !== false,
    maxRepositories: (c.max_repositories as number | undefined) ?? 100,
    idleExpireMs: parseExpiration(text('idle_expire_after') ?? '720h'),
    backend: resolveBackend(c.backend, gitOnPath),
    maxPackSize: parseSize((c.max_pack_size as string | number | undefined) ?? '512MiB'),
    defaults,
  };
}

/** what the schema cannot say: which repositories exist, unique paths, `allow` with `upstream_base`, the backend */
export function checkGitConfig(c: ModeConfig, gitOnPath: () => boolean): { path?: (string | number)[]; message: string }[] {
  const out: { path?: (string | number)[]; message: string }[] = [];
  const repos = (c.repositories ?? []) as { path: string }[];
  if (c.upstream === undefined && !repos.length && c.upstream_base === undefined) out.push({ message: 'needs "upstream", "repositories" or "upstream_base"' });
  const seen = new Map<string, number>();
  repos.forEach((r, i) => {
    const p = canonicalPath(r.path);
    if (!p || p.split('/').some((s) => s === '..' || s === '.' || s === '')) out.push({ path: ['repositories', i, 'path'], message: `"${r.path}" must be a relative path without "." or ".." segments` });
    if (seen.has(p)) out.push({ path: ['repositories', i, 'path'], message: `"${r.path}" is also repositories[${seen.get(p)}]` });
    seen.set(p, i);
  });
  if (c.upstream_base !== undefined && !((c.allow as unknown[] | undefined)?.length)) out.push({ path: ['allow'], message: 'required with "upstream_base": the repository paths that may be mirrored on demand' });
  if (c.backend === 'git' && !gitOnPath()) out.push({ path: ['backend'], message: 'the git backend needs the `git` command on PATH' });
  return out;
}
