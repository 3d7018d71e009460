// Upstream answers that say "no such resource": the stored entry goes and the answer is remembered for
// negative_ttl. 404 and 410 for every kind; a kind may name more (a registry's 451 for a crate taken down).
import type { NegativeRecord } from '../cache/negative.js';
import type { KindSpec } from '../mode.js';
import type { EngineCtx } from './context.js';
import type { Work } from './work.js';

const ALWAYS = [404, 410];

export function meansGone(kind: KindSpec, status: number): boolean {
  return ALWAYS.includes(status) || (kind.upstream?.goneStatuses?.includes(status) ?? false);
}

/**
 * A "gone" answer remembered for the instance's negative_ttl, here and — unless it came from another process
 * that already shared it — with the coordinator's other processes (a cluster's Redis).
 */
export function rememberGone(ctx: EngineCtx, w: Work, answer: { status: number; contentType?: string; body: Buffer }, share = true): void {
  const ttl = w.inst.cfg.negative_ttl ?? ctx.config.storage.negative_ttl;
  if (ttl <= 0) return;
  const rec: NegativeRecord = { ...answer, expiresAt: Date.now() + ttl };
  ctx.negative.set(w.flightKey, rec);
  if (share) ctx.fills?.negatives?.put(w.flightKey, rec);
}

/** a "gone" answer another process remembered for this key (then remembered here too), asked before a miss goes upstream */
export async function sharedGone(ctx: EngineCtx, w: Work): Promise<NegativeRecord | undefined> {
  const shared = ctx.fills?.negatives;
  if (!shared) return undefined;
  const rec = await shared.get(w.flightKey).catch(() => undefined);
  if (rec && rec.expiresAt > Date.now()) { ctx.negative.set(w.flightKey, rec); return rec; }
  return undefined;
}
