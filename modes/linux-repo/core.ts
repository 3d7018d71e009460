// What the parts of one repository instance share: its format, settings, store and roots, the root lock,
// the coalesced roots-document write and the epoch that voids memoised package-index lookups.
import type { ControllerContext } from '../../engine/mode.js';
import type { RepoFormat, RootRef } from './format.js';
import type { Generation, RootDoc, RootState } from './generation.js';
import { ridOf } from './generation.js';
import type { GenerationStore } from './generation-store.js';
import type { RepoSettings } from './settings.js';

export const REFRESH_TASK = 'metadata_refresh';

export const hostOf = (u: string) => { try { return new URL(u).host; } catch { return u; } };
export const sleep = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());

export class RepoCore {
  readonly roots = new Map<string, RootState>();
  /** first builds of roots in progress (requests for artifacts wait for them, bounded by cold_wait) */
  readonly colds = new Map<string, Promise<Generation | 'absent'>>();
  /** bumped whenever a package index changes; memoised artifact lookups of an older epoch are void */
  indexEpoch = 0;
  private saveTimer?: NodeJS.Timeout;
  readonly refreshes;
  readonly refreshSeconds;

  constructor(readonly format: RepoFormat, readonly ctx: ControllerContext, readonly s: RepoSettings, readonly store: GenerationStore) {
    this.refreshes = ctx.metrics.counter('cache_proxy_metadata_refresh_total', 'Repository metadata refreshes by result', ['instance', 'result']);
    this.refreshSeconds = ctx.metrics.histogram('cache_proxy_metadata_refresh_duration_seconds', 'Repository metadata refresh duration', ['instance']);
  }

  newRoot(ref: RootRef, doc?: RootDoc): RootState {
    const rs: RootState = {
      ref, rid: ridOf(ref.id), gens: [], stored: [], maxN: 0, lock: Promise.resolve(), additions: new Map(), joins: new Map(),
      doc: doc ?? { id: ref.id, layout: ref.layout, path: ref.path, wanted: {}, lastRequest: Date.now(), health: { notFound: 0, failures: 0, torn: 0 } },
    };
    this.roots.set(ref.id, rs);
    return rs;
  }

  /** the longest served root containing a mount-relative path */
  knownRoot = (path: string): RootRef | undefined => {
    let best: RootRef | undefined;
    for (const r of this.roots.values()) {
      if (!r.gens.length) continue;
      const p = r.ref.path;
      if ((p === '' || path === p || path.startsWith(p + '/')) && (!best || p.length > best.path.length)) best = r.ref;
    }
    return best;
  };

  locked<T>(rs: RootState, fn: () => Promise<T>): Promise<T> {
    const run = rs.lock.then(fn, fn);
    rs.lock = run.catch(() => undefined);
    return run;
  }

  /** write a root's manifests and current generation (one state document), then re-declare the held blobs */
  async saveGenerations(rs: RootState): Promise<void> {
    await this.store.writeGenerations(rs.rid, { version: 1, current: rs.gens[0]?.n ?? 0, maxN: rs.maxN, manifests: rs.stored });
    this.holdBlobs();
  }

  holdBlobs(): void {
    this.store.hold([...this.roots.values()].flatMap((r) => r.stored));
  }

  /** the primaries a build of the root fetches: the format's, and the on-demand ones clients still ask for */
  primaryNames(rs: RootState): string[] {
    const onDemand = this.format.onDemandPrimaries?.(rs.ref) ?? [];
    return [...this.format.primaryNames(rs.ref), ...onDemand.filter((n) => n in rs.doc.wanted)];
  }

  want(rs: RootState, name: string): void {
    rs.doc.wanted[name] = Date.now();
    this.markDirty();
  }

  /** the roots document is rewritten on change, coalesced (request times change often) */
  markDirty(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => { this.saveTimer = undefined; void this.saveRoots(); }, 1000);
    this.saveTimer.unref();
  }

  async flush(): Promise<void> {
    if (this.saveTimer) { clearTimeout(this.saveTimer); this.saveTimer = undefined; await this.saveRoots(); }
  }

  private async saveRoots(): Promise<void> {
    const docs = [...this.roots.values()].filter((r) => r.gens.length).map((r) => r.doc);
    await this.store.writeRoots(docs).catch((e: Error) => this.ctx.log.warn('could not write the roots document', { instance: this.ctx.instance, err: e.message }));
  }
}
