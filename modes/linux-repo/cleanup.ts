// The instance's cleanup task: generations no longer retained leave their roots' state documents (the engine's
// blob GC then removes the files only they named), and artifacts no retained generation lists expire after
// artifact_expire_after. storage.cleanup.dry_run only lists what would go.
import type { ArtifactIndex } from './artifacts.js';
import type { RepoCore } from './core.js';

export async function cleanup(core: RepoCore, artifacts: ArtifactIndex, signal: AbortSignal): Promise<'updated' | 'unchanged'> {
  const { ctx, s } = core;
  const { dryRun, batchSize } = ctx.cleanup ?? { dryRun: false, batchSize: 500 };
  let removed = 0;
  const would: string[] = [];
  const drop = async (what: string, fn: () => Promise<void>) => {
    if (dryRun) { if (would.length < 20) would.push(what); removed++; return; }
    await fn();
    if (++removed % batchSize === 0) await new Promise((r) => setImmediate(r));
  };
  for (const rs of core.roots.values()) {
    const keep = new Set(rs.gens.map((g) => g.n));
    const current = rs.gens[0]?.n ?? 0;
    const gone = rs.stored.filter((m) => !keep.has(m.n) && m.n < current);
    if (!gone.length) continue;
    await drop(`${rs.ref.id} generations ${gone.map((m) => m.n).join(', ')}`, () => core.locked(rs, async () => {
      rs.stored = rs.stored.filter((m) => !gone.includes(m));
      await core.saveGenerations(rs);
    }));
  }
  if (!dryRun) core.holdBlobs();
  // artifacts: listed by any retained generation → kept; unlisted and unused for artifact_expire_after → deleted
  if (Number.isFinite(s.artifactExpireMs)) {
    for await (const e of ctx.cache.list()) {
      if (signal.aborted) break;
      if (e.kind !== 'artifact' || Date.now() - e.lastUsedAt <= s.artifactExpireMs) continue;
      if (await artifacts.lookup(e.key)) continue;
      await drop(e.key, () => ctx.cache.delete(e.kind, e.key));
    }
  }
  if (dryRun && removed) ctx.log.info('repository cleanup dry run', { instance: ctx.instance, would_remove: removed, keys: would });
  return removed && !dryRun ? 'updated' : 'unchanged';
}
