// The fallback backend, for small repositories on machines without `git`: the mirror is a bare repository
// kept by isomorphic-git (its `fetch`, protocol v1 client, whole packs in memory) and served by our framing on
// its object API (isomorphic-serve.ts, isomorphic-objects.ts). A snapshot is the ref list in the pointer file
// alone: a sync lists the upstream refs, fetches, checks that every object reachable from the new tips is
// present, and only then replaces the pointer. Objects are never removed (no gc or repack here), so a request
// still holding the previous snapshot finds every object it was advertised.
import * as fs from 'node:fs';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import type { RespondOutput } from '../../../engine/mode.js';
import { redactWith as redact } from '../../../engine/log.js';
import type { ExchangeCounters, GitBackend, ServeRequest } from '../backend.js';
import { chooseHead, readSnapshot, writeSnapshot, type Snapshot, type SyncResult } from '../mirror.js';
import { planRefs, sameRefs, type RefMap } from '../refs.js';
import type { RepoSpec } from '../settings.js';
import { SyncError } from '../sync-error.js';
import { upstreamAccess, type UpstreamAccess } from '../upstream-access.js';
import { isV2 } from '../upload-pack.js';
import { undiciHttp } from './isomorphic-http.js';
import { ObjectStore } from './isomorphic-objects.js';
import { ADVERTISEMENT, advertiseV0, advertiseV2, exchangeV0, fetchV2, lsRefs, RESULT, type RefView } from './isomorphic-serve.js';
import { pktLine, readUploadRequest } from '../pkt-line.js';

const PUBLISHED = /^refs\/(heads|tags)\/[^^]*$/;

/** an isomorphic-git or network failure as a SyncError: credentials and absent repositories are permanent */
export function classifyIsomorphicFailure(what: string, e: unknown, secrets: readonly string[]): SyncError {
  const err = e as { code?: string; data?: { statusCode?: number }; message?: string };
  const status = err.data?.statusCode;
  if (err.code === 'UserCanceledError' || status === 401 || status === 403) return new SyncError('authentication failed', true);
  if (status === 404) return new SyncError('upstream repository not found', true);
  return new SyncError(`${what} failed: ${redact(err.message ?? String(e), secrets)}`, false);
}

export class IsomorphicBackend implements GitBackend {
  snapshot: Snapshot | null = null;
  private access: UpstreamAccess;
  private store: ObjectStore;
  private views = new WeakMap<Snapshot, Promise<RefView>>();

  constructor(readonly dir: string, private spec: RepoSpec, private timeoutMs: number, private maxPackSize: number) {
    this.access = upstreamAccess(spec);
    this.store = new ObjectStore(dir);
  }

  get upstream(): string { return this.access.url; }
  get secrets(): readonly string[] { return this.access.secrets; }

  async load(): Promise<Snapshot | null> {
    this.snapshot = await readSnapshot(this.dir);
    return this.snapshot;
  }

  async sync(signal?: AbortSignal): Promise<SyncResult> {
    const limit = this.timeoutMs > 0 ? AbortSignal.timeout(this.timeoutMs) : undefined;
    const both = signal && limit ? AbortSignal.any([signal, limit]) : signal ?? limit;
    const http = undiciHttp({ proxy: this.spec.proxy, signal: both });
    try {
      return await this.syncSteps(http);
    } catch (e) {
      if (limit?.aborted) throw new SyncError(`operation timed out after ${this.timeoutMs} ms (operation_timeout)`, false);
      throw e;
    } finally {
      await http.close();
    }
  }

  private async syncSteps(http: ReturnType<typeof undiciHttp>): Promise<SyncResult> {
    if (!existsSync(join(this.dir, 'HEAD'))) {
      await mkdir(this.dir, { recursive: true });
      await git.init({ fs, gitdir: this.dir, bare: true });
    }
    // isomorphic-git's fetch keeps the remote's branches under this refspec (the next fetch's haves)
    await git.setConfig({ fs, gitdir: this.dir, path: 'remote.origin.fetch', value: '+refs/heads/*:refs/remotes/origin/*' });
    const headers: Record<string, string> = this.access.authorization ? { authorization: this.access.authorization } : {};
    const remote = { http, url: this.access.url, headers, onAuthFailure: () => ({ cancel: true }) };
    const listed = await git.listServerRefs({ ...remote, protocolVersion: 1, symrefs: true })
      .catch((e: unknown) => { throw classifyIsomorphicFailure('listing the upstream refs', e, this.secrets); });
    const upstream: RefMap = {};
    let upstreamHead: string | undefined;
    for (const r of listed) {
      if (r.oid.length === 64) throw new SyncError('SHA-256 repositories are not supported', true);
      if (r.ref === 'HEAD') upstreamHead = r.target;
      else if (PUBLISHED.test(r.ref)) upstream[r.ref] = r.oid;
    }
    if (!Object.keys(upstream).length) throw new SyncError('upstream repository is empty', true);
    const cur = this.snapshot;
    if (cur && cur.upstream.head === upstreamHead && sameRefs(cur.upstream.refs, upstream)) {
      await this.publish({ ...cur, synced_at: new Date().toISOString() });
      return { outcome: 'unchanged', refused: [] };
    }
    const some = upstreamHead && upstream[upstreamHead] ? upstreamHead : Object.keys(upstream)[0]!;
    await git.fetch({ fs, ...remote, gitdir: this.dir, ref: some, remoteRef: some, singleBranch: false, tags: true, prune: true, pruneTags: true })
      .catch((e: unknown) => { throw classifyIsomorphicFailure('fetch', e, this.secrets); });
    const plan = await planRefs(upstream, cur?.refs ?? {}, this.spec.forceOverwrite, (a, b) => this.store.isAncestor(a, b));
    await this.checkComplete(plan.refs, cur?.refs ?? {});
    const head = chooseHead(upstreamHead, plan.refs);
    const now = new Date().toISOString();
    const up = { refs: upstream, head: upstreamHead };
    if (cur && cur.head === head && sameRefs(cur.refs, plan.refs)) {
      await this.publish({ ...cur, upstream: up, synced_at: now });
      return { outcome: 'unchanged', refused: plan.refused };
    }
    await this.publish({ n: (cur?.n ?? 0) + 1, path: this.spec.path, refs: plan.refs, head, upstream: up, synced_at: now, published_at: now });
    return { outcome: 'updated', refused: plan.refused };
  }

  /** every object reachable from the new tips is in the mirror (the previous snapshot's are: it was checked) */
  private async checkComplete(refs: RefMap, old: RefMap): Promise<void> {
    try {
      await this.store.closure({ wants: [...new Set(Object.values(refs))], haves: [...new Set(Object.values(old))], checkBlobs: true });
    } catch (e) {
      throw new SyncError(`connectivity check failed: ${(e as Error).message}`, false);
    }
  }

  private async publish(s: Snapshot): Promise<void> {
    await writeSnapshot(this.dir, s);
    this.snapshot = s;
  }

  /** the snapshot's refs with each annotated tag peeled (computed once per snapshot) */
  private view(s: Snapshot): Promise<RefView> {
    let v = this.views.get(s);
    if (!v) {
      v = (async () => {
        const peeled: RefMap = {};
        for (const [r, oid] of Object.entries(s.refs)) {
          if (!r.startsWith('refs/tags/')) continue;
          const p = await this.store.peel(oid);
          if (p !== oid) peeled[r] = p;
        }
        return { refs: s.refs, head: s.head, peeled };
      })();
      this.views.set(s, v);
    }
    return v;
  }

  async advertise(r: ServeRequest): Promise<RespondOutput> {
    const body = isV2(r.protocol) ? advertiseV2(r.agent) : advertiseV0(await this.view(r.snapshot), r.agent);
    return { status: 200, headers: { 'content-type': ADVERTISEMENT, 'cache-control': 'no-cache', 'x-cache': 'MIRROR' }, body };
  }

  async exchange(r: ServeRequest, body: Buffer, command: string | undefined, counted: ExchangeCounters): Promise<RespondOutput> {
    const v = await this.view(r.snapshot);
    const limits = { maxPackSize: this.maxPackSize };
    if (!isV2(r.protocol)) {
      if (readUploadRequest(body).done) counted.run();
      return exchangeV0(v, body, this.store, limits);
    }
    if (command === 'ls-refs') return { status: 200, headers: { 'content-type': RESULT, 'cache-control': 'no-cache', 'x-cache': 'MIRROR' }, body: lsRefs(v, body) };
    if (command === 'fetch') {
      counted.run();
      return fetchV2(v, body, this.store, limits);
    }
    return { status: 200, headers: { 'content-type': RESULT, 'cache-control': 'no-cache' }, body: Buffer.from(pktLine(`ERR unknown command ${command ?? ''}\n`)) };
  }
}
