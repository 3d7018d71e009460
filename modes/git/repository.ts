// The life of one mirrored repository: clone on first request and syncs, one at a time (single-flight),
// failure states with their retry times, and what a request gets while they run.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { TaskResult } from '../../engine/mode.js';
import type { BackendFactory, GitBackend } from './backend.js';
import type { SyncResult } from './mirror.js';
import type { RepoSpec } from './settings.js';
import { SyncError } from './sync-error.js';

export type RepoState = 'absent' | 'cloning' | 'ready' | 'syncing' | 'failed';
export interface Failure { reason: string; permanent: boolean; at: number; retryAt: number }

export interface RepositoryHooks {
  failedRetryAfterMs: number;
  onSynced(r: Repository, first: boolean, result: SyncResult): void;
  onFailed(r: Repository, first: boolean, e: SyncError): void;
}

const BACKOFF_START = 10_000, BACKOFF_MAX = 600_000;

/** `team/x` → `team_x-<8 hex>`: readable, and distinct for paths that sanitise alike */
export function repoKey(path: string): string {
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 8);
  return `${(path || '_mount').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80)}-${hash}`;
}

export class Repository {
  readonly key: string;
  readonly mirror: GitBackend;
  failure: Failure | null = null;
  lastRequestAt = Date.now();
  private running: Promise<SyncResult | SyncError> | null = null;
  private backoffMs = BACKOFF_START;

  constructor(readonly spec: RepoSpec, root: string, backend: BackendFactory, private hooks: RepositoryHooks) {
    this.key = repoKey(spec.path);
    this.mirror = backend(join(root, `${this.key}.git`), spec);
  }

  get state(): RepoState {
    if (this.running) return this.mirror.snapshot ? 'syncing' : 'cloning';
    if (this.mirror.snapshot) return 'ready';
    return this.failure ? 'failed' : 'absent';
  }

  /** ms since the last successful sync (Infinity before the first) */
  age(now = Date.now()): number {
    const s = this.mirror.snapshot;
    return s ? now - Date.parse(s.synced_at) : Infinity;
  }

  /** the running clone/sync, or a new one; never two at once */
  sync(signal?: AbortSignal): Promise<SyncResult | SyncError> {
    if (this.running) return this.running;
    const first = !this.mirror.snapshot;
    const p = this.mirror.sync(signal).then((result) => {
      this.failure = null;
      this.backoffMs = BACKOFF_START;
      this.hooks.onSynced(this, first, result);
      return result;
    }, (e: Error) => {
      const err = e instanceof SyncError ? e : new SyncError(e.message, false);
      const now = Date.now();
      const wait = err.permanent ? this.hooks.failedRetryAfterMs : this.backoffMs;
      if (!err.permanent) this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX);
      this.failure = { reason: err.message, permanent: err.permanent, at: now, retryAt: now + wait };
      this.hooks.onFailed(this, first, err);
      return err;
    }).finally(() => { this.running = null; });
    this.running = p;
    return p;
  }

  /** a failure whose retry time has not come: no new attempt yet */
  holdingOff(now = Date.now()): Failure | null {
    return this.failure && now < this.failure.retryAt ? this.failure : null;
  }

  /** the scheduled sync: skipped while a failure holds off */
  async scheduled(signal: AbortSignal): Promise<TaskResult> {
    if (this.holdingOff()) return 'skipped';
    const r = await this.sync(signal);
    if (r instanceof SyncError) return 'failed';
    return r.outcome;
  }
}
