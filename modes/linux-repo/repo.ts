// The controller of one Linux repository instance: roots discovered from requests, their metadata
// generations (see generation.ts), on-demand additions, background refresh with failover, artifact digests
// for verification, cleanup and per-root status. Format knowledge comes only through the RepoFormat given.
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import type { ControllerContext, ControllerTask, InstanceController, Match, RespondOutput, VerifyResult } from '../../engine/mode.js';
import type { RepoFormat, RootRef } from './format.js';
import type { RootState } from './generation.js';
import { GenerationStore } from './generation-store.js';
import { loadGeneration } from './publish.js';
import { refresh, scheduleRefresh } from './refresh.js';
import { ColdStarts } from './cold.js';
import { MetadataResponder } from './respond.js';
import { ArtifactIndex } from './artifacts.js';
import { cleanup } from './cleanup.js';
import { hostOf, RepoCore } from './core.js';
import type { RepoSettings } from './settings.js';

/** where generations were kept before they moved into the engine store: removed at start */
const LEGACY_DIRS = ['meta', 'roots', 'tmp'];

export class RepoInstance implements InstanceController {
  private core: RepoCore;
  private artifacts: ArtifactIndex;
  private responder: MetadataResponder;
  readonly tasks: ControllerTask[];

  constructor(format: RepoFormat, private ctx: ControllerContext, s: RepoSettings) {
    this.core = new RepoCore(format, ctx, s, new GenerationStore(ctx.blobs, ctx.state));
    this.artifacts = new ArtifactIndex(this.core);
    this.responder = new MetadataResponder(this.core, new ColdStarts(this.core));
    this.tasks = [{ type: 'repo_cleanup', intervalMs: s.cleanupMs, run: (signal) => this.cleanup(signal) }];
  }

  /** restart: roots, their retained generations and package indexes come back with no upstream contact */
  async setup(): Promise<void> {
    const { core, ctx } = this;
    if (ctx.privateDir) for (const d of LEGACY_DIRS) await rm(join(ctx.privateDir, d), { recursive: true, force: true });
    for (const doc of await core.store.readRoots()) {
      const ref: RootRef = { id: doc.id, layout: doc.layout, path: doc.path };
      const rs = core.newRoot(ref, doc);
      const saved = await core.store.readGenerations(rs.rid);
      if (saved) await this.restore(rs, saved.current, saved.maxN, saved.manifests);
      if (!rs.gens.length) { core.roots.delete(ref.id); continue; }
      scheduleRefresh(core, rs, false);
    }
    core.holdBlobs();
    if (core.roots.size) ctx.log.info('repository roots restored', { instance: ctx.instance, roots: core.roots.size });
  }

  private async restore(rs: RootState, current: number, maxN: number, manifests: RootState['stored']): Promise<void> {
    const { core, ctx } = this;
    rs.stored = [...manifests].sort((a, b) => b.n - a.n);
    rs.maxN = Math.max(maxN, rs.stored[0]?.n ?? 0);
    // the current generation first, then older ones down to generation_keep
    const order = [...rs.stored.filter((m) => m.n === current), ...rs.stored.filter((m) => m.n < current)];
    const indexes = order.map((m) => m.index);
    for (const m of order) {
      if (rs.gens.length >= core.s.generationKeep) break;
      const g = await loadGeneration(core, rs, m).catch((e: Error) => { ctx.log.warn('generation unreadable; skipped', { instance: ctx.instance, root: rs.ref.id, generation: m.n, err: e.message }); return null; });
      if (g) rs.gens.push(g);
    }
    if (order.some((m, i) => m.index !== indexes[i])) await core.saveGenerations(rs); // a package index was rebuilt
  }

  async stop(): Promise<void> { await this.core.flush(); }

  respond(m: Match): Promise<RespondOutput> { return this.responder.respond(m); }
  /** the root a metadata path belongs to (its owner key in a cluster); undefined: passed through, served here */
  ownerKey(path: string): string | undefined {
    const c = this.core.format.classify(path, this.core.knownRoot);
    return c.type === 'passthrough' ? undefined : c.root.id;
  }
  /** expected digests of an artifact path: union of every retained package index of every root */
  expected(path: string): Promise<VerifyResult> { return this.artifacts.expected(path); }
  /** the format's check of a completed listed artifact (null: passes, or nothing to check) */
  check(path: string, open: () => Readable): Promise<string | null> { return this.artifacts.check(path, open); }
  admit(path: string): Promise<'cache' | 'pass' | { status: number; message: string }> { return this.artifacts.admit(path); }
  cleanup(signal: AbortSignal): Promise<'updated' | 'unchanged'> { return cleanup(this.core, this.artifacts, signal); }
  /** one refresh of a root now (the scheduled task's body) */
  refresh(rootId: string, signal: AbortSignal): Promise<'updated' | 'unchanged' | 'skipped'> {
    const rs = this.core.roots.get(rootId);
    return rs ? refresh(this.core, rs, signal) : Promise.resolve('skipped');
  }

  async status(): Promise<Record<string, unknown>> {
    const roots = [...this.core.roots.values()].filter((r) => r.gens.length).map((r) => {
      const g = r.gens[0]!;
      return {
        root: r.ref.id, generation: g.n, upstream: hostOf(g.manifest.upstream), published: g.manifest.published,
        files: Object.keys(g.manifest.files).length, packages: g.index?.count ?? 0, wanted: Object.keys(r.doc.wanted).length,
        last_refresh: r.doc.health.lastRefresh ?? '—', outcome: r.doc.health.lastOutcome ?? '—', ...(r.doc.health.lastError ? { error: r.doc.health.lastError } : {}),
        ...(g.manifest.warnings.length ? { warnings: g.manifest.warnings.join('; ') } : {}),
      };
    });
    return { roots };
  }
}
