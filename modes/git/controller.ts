// The controller of one git instance: its repositories (fixed and on-demand), the request flow (resolve →
// clone or fresh_for sync, bounded waits → serve the current snapshot), scheduled syncs, idle expiry of
// on-demand mirrors, metrics and the status rows.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ControllerContext, ControllerTask, InstanceController, Match, RespondOutput, TaskResult } from '../../engine/mode.js';
import { version } from '../../engine/metrics.js';
import type { BackendFactory } from './backend.js';
import { GitBinaryBackend } from './backends/git-binary.js';
import { IsomorphicBackend } from './backends/isomorphic.js';
import { readSnapshot, type SyncResult } from './mirror.js';
import { readUploadRequest } from './pkt-line.js';
import { settleWithin } from '../../engine/wait.js';
import { Repository, type Failure } from './repository.js';
import { RepositoryResolver, splitGitPath } from './resolve.js';
import type { GitSettings, RepoSpec } from './settings.js';
import type { SyncError } from './sync-error.js';
import { gitProtocol, isV2 } from './upload-pack.js';
import { SharedRuns } from './shared-runs.js';
import { repoStatus } from './status.js';

const SYNC_TASK = 'git_sync';
const MAX_REQUEST_BODY = 64 * 1024 * 1024;

const text = (status: number, message: string, headers: Record<string, string> = {}): RespondOutput =>
  ({ status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: `${message}\n` });

export class GitInstance implements InstanceController {
  readonly tasks: ControllerTask[];
  private repos = new Map<string, Repository>();
  private resolver: RepositoryResolver;
  private root: string;
  private agent = `cache-proxy/${version}`;
  private metric;
  private shared: SharedRuns;
  private backend: BackendFactory;

  constructor(private ctx: ControllerContext, private s: GitSettings) {
    this.resolver = new RepositoryResolver(s);
    this.root = join(ctx.privateDir, 'repos');
    // test only: a new upload-pack run waits until this many identical requests share it (at most a minute)
    const hold = Number(process.env.CACHE_PROXY_TEST_GIT_SHARE_HOLD ?? 0);
    this.shared = new SharedRuns({ tempPath: () => ctx.blobs.tempPath(), holdUntil: hold > 1 ? hold : undefined, holdMaxMs: 60_000 });
    this.backend = s.backend === 'git'
      ? (dir, spec) => new GitBinaryBackend(dir, spec, s.operationTimeoutMs, this.shared,
        (err) => ctx.log.warn('git mirror repack failed', { instance: ctx.instance, repo: spec.path, err }))
      : (dir, spec) => new IsomorphicBackend(dir, spec, s.operationTimeoutMs, s.maxPackSize);
    const m = ctx.metrics;
    const labels = ['instance', 'repo'];
    this.metric = {
      cloneOk: m.counter('cache_proxy_git_clone_success_total', 'git mirror clones that succeeded', labels),
      cloneFailed: m.counter('cache_proxy_git_clone_failed_total', 'git mirror clones that failed', labels),
      syncOk: m.counter('cache_proxy_git_sync_success_total', 'git mirror syncs that succeeded', labels),
      syncFailed: m.counter('cache_proxy_git_sync_failed_total', 'git mirror syncs that failed', labels),
      lastSync: m.gauge('cache_proxy_git_last_sync_timestamp_seconds', 'time of the last successful clone or sync of a git mirror', labels),
      requests: m.counter('cache_proxy_git_requests_total', 'git smart-HTTP requests served', ['instance', 'repo', 'service', 'protocol']),
      packRuns: m.counter('cache_proxy_git_pack_runs_total', 'upload-pack runs for POSTed exchanges (identical ones in flight share one)', labels),
      packJoins: m.counter('cache_proxy_git_pack_joins_total', 'POSTed exchanges served by joining an identical upload-pack run in flight', labels),
    };
    this.tasks = s.onDemand ? [{ type: 'git_idle_expire', intervalMs: Math.min(3_600_000, Math.max(60_000, s.idleExpireMs / 10)), run: () => this.expireIdle() }] : [];
  }

  /** mirrors on disk come back with their published snapshot, and their scheduled syncs, with no upstream contact */
  async setup(): Promise<void> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.git'))) {
      const snap = await readSnapshot(join(this.root, name));
      const spec = snap ? this.resolver.resolve(snap.path) : null;
      if (!spec) continue;
      const r = this.repository(spec);
      await r.mirror.load();
      this.schedule(r);
    }
    if (this.repos.size) this.ctx.log.info('git mirrors restored', { instance: this.ctx.instance, repositories: this.repos.size });
    if (this.s.backend === 'isomorphic-git') this.ctx.log.info('git mirrors use the isomorphic-git backend (small repositories; see max_pack_size)', { instance: this.ctx.instance, max_pack_size: this.s.maxPackSize });
  }

  private repository(spec: RepoSpec): Repository {
    let r = this.repos.get(spec.path);
    if (!r) {
      r = new Repository(spec, this.root, this.backend, {
        failedRetryAfterMs: this.s.failedRetryAfterMs,
        onSynced: (repo, first, result) => this.synced(repo, first, result),
        onFailed: (repo, first, e) => this.failed(repo, first, e),
      });
      this.repos.set(spec.path, r);
    }
    return r;
  }

  private schedule(r: Repository): void {
    if (r.spec.syncIntervalMs > 0) this.ctx.tasks.add({ type: SYNC_TASK, target: r.key, intervalMs: r.spec.syncIntervalMs, run: (signal) => r.scheduled(signal) });
  }

  private synced(r: Repository, first: boolean, result: SyncResult): void {
    const l = { instance: this.ctx.instance, repo: r.spec.path || '/' };
    (first ? this.metric.cloneOk : this.metric.syncOk).inc(l);
    this.metric.lastSync.set(l, Date.now() / 1000);
    if (first) this.schedule(r);
    for (const x of result.refused) {
      this.ctx.events.emit({ result: 'kept', task_type: SYNC_TASK, target: r.spec.path || '/', reason_code: 'non_fast_forward',
        message: `${x.ref}: upstream moved to ${x.upstream.slice(0, 12)}, not a fast-forward of ${x.kept.slice(0, 12)}; kept (force_overwrite: false)` });
    }
    if (first || result.outcome === 'updated') this.ctx.log.info(first ? 'git mirror cloned' : 'git mirror synced', { instance: this.ctx.instance, repo: r.spec.path, snapshot: r.mirror.snapshot?.n });
  }

  private failed(r: Repository, first: boolean, e: SyncError): void {
    const l = { instance: this.ctx.instance, repo: r.spec.path || '/' };
    (first ? this.metric.cloneFailed : this.metric.syncFailed).inc(l);
    this.ctx.events.emit({ result: 'failed', task_type: first ? 'git_clone' : SYNC_TASK, target: r.spec.path || '/', reason_code: e.permanent ? 'permanent' : 'transient', message: e.message });
    this.ctx.log.warn(first ? 'git mirror clone failed' : 'git mirror sync failed', { instance: this.ctx.instance, repo: r.spec.path, upstream: r.mirror.upstream, err: e.message });
  }

  /** the repository a request is served from (its owner key in a cluster); undefined: none, answered 404 here */
  ownerKey(m: Match): string | undefined {
    const at = splitGitPath(m.path);
    return (at && this.resolver.resolve(at.repo)?.path) ?? undefined;
  }

  /** one smart-HTTP request: info/refs?service=git-upload-pack or POST git-upload-pack */
  async respond(m: Match, body: Buffer): Promise<RespondOutput> {
    const at = splitGitPath(m.path);
    const spec = at && this.resolver.resolve(at.repo);
    if (!at || !spec) return text(404, 'repository not found');
    let r = this.repos.get(spec.path);
    if (!r) {
      const onDemand = [...this.repos.values()].filter((x) => x.spec.onDemand).length;
      if (spec.onDemand && onDemand >= this.s.maxRepositories) return text(503, `too many mirrored repositories (max_repositories: ${this.s.maxRepositories})`);
      r = this.repository(spec);
    }
    r.lastRequestAt = Date.now();
    const refused = await this.ready(r);
    if (refused) return refused;
    const snap = r.mirror.snapshot!;
    const protocol = gitProtocol(m.headers['git-protocol'], this.s.protocolV2);
    const serve = { snapshot: snap, protocol, agent: this.agent };
    const labels = { instance: this.ctx.instance, repo: spec.path || '/', protocol: isV2(protocol) ? 'v2' : protocol?.includes('version=1') ? 'v1' : 'v0' };
    if (at.service === 'info-refs') {
      this.metric.requests.inc({ ...labels, service: 'info-refs' });
      return r.mirror.advertise(serve);
    }
    let req = body;
    if (/gzip/i.test(m.headers['content-encoding'] ?? '')) {
      try { req = gunzipSync(body, { maxOutputLength: MAX_REQUEST_BODY }); } catch { return text(400, 'request body is not valid gzip'); }
    }
    const u = readUploadRequest(req);
    this.metric.requests.inc({ ...labels, service: u.command ?? 'upload-pack' });
    this.ctx.log.debug('git upload-pack', { instance: this.ctx.instance, repo: spec.path, snapshot: snap.n, ...u });
    const repo = { instance: this.ctx.instance, repo: spec.path || '/' };
    return r.mirror.exchange(serve, req, u.command, { run: () => this.metric.packRuns.inc(repo), join: () => this.metric.packJoins.inc(repo) });
  }

  /** null when a snapshot can be served; else the answer (cloning, failed) */
  private async ready(r: Repository): Promise<RespondOutput | null> {
    if (!r.mirror.snapshot) {
      const held = r.holdingOff();
      if (held) return this.failure(held);
      if (!(await settleWithin(r.sync(), this.s.cloneWaitMs))) return text(503, 'mirror is being cloned', { 'retry-after': '10' });
      if (!r.mirror.snapshot) return this.failure(r.failure!);
      return null;
    }
    const fresh = r.spec.freshForMs;
    if (fresh !== undefined && r.age() > fresh && !r.holdingOff()) await settleWithin(r.sync(), this.s.syncWaitMs);
    return null;
  }

  private failure(f: Failure): RespondOutput {
    const retry = new Date(f.retryAt).toISOString();
    if (f.permanent) return text(502, `${f.reason} (next attempt after ${retry})`);
    return text(503, `${f.reason} (next attempt after ${retry})`, { 'retry-after': String(Math.max(1, Math.ceil((f.retryAt - Date.now()) / 1000))) });
  }

  /** on-demand mirrors nobody asked for in idle_expire_after are deleted */
  private async expireIdle(): Promise<TaskResult> {
    const now = Date.now();
    let removed = 0;
    for (const r of [...this.repos.values()]) {
      if (!r.spec.onDemand || now - r.lastRequestAt < this.s.idleExpireMs || r.state === 'cloning' || r.state === 'syncing') continue;
      this.repos.delete(r.spec.path);
      this.ctx.tasks.remove(SYNC_TASK, r.key);
      await rm(r.mirror.dir, { recursive: true, force: true });
      this.ctx.events.emit({ result: 'removed', task_type: 'git_idle_expire', target: r.spec.path, message: `on-demand mirror ${r.spec.path} idle for ${Math.round((now - r.lastRequestAt) / 1000)} s: deleted` });
      removed++;
    }
    return removed ? 'updated' : 'unchanged';
  }

  async status(): Promise<Record<string, unknown>> {
    const rows = [];
    for (const r of this.repos.values()) rows.push(await repoStatus(r));
    return { repositories: rows };
  }
}
