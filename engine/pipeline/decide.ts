// The decision table: from the request's facts, the stored entry, the running flight, the resolved policy and
// the mode's admission, which Action answers. It starts no upstream exchange and writes nothing (a 404 another
// process shared is remembered in memory, as if this process had asked).
import type { Entry } from '../cache/store.js';
import type { VerifyResult } from '../mode.js';
import type { Action } from './actions.js';
import type { EngineCtx } from './context.js';
import { isFresh, lookup } from './entries.js';
import { expectationOf } from './expectation.js';
import { sharedGone } from './gone.js';
import { hookContext } from './hook-context.js';
import type { Work } from './work.js';

export async function decide(ctx: EngineCtx, w: Work): Promise<Action> {
  const { resolved } = w;
  const offline = w.inst.cfg.offline ?? ctx.config.storage.offline;
  const kind = w.inst.def.kinds[w.kind]!;
  if (kind.cache?.admit) {
    const a = await kind.cache.admit({ match: w.match, ctx: hookContext(ctx, w.inst) });
    if (a === 'pass' && !offline) return { type: 'bypass', label: 'PASSTHROUGH' };
    if (typeof a === 'object') return { type: 'fail', failure: { status: a.status, message: a.message } };
  }
  if (resolved.policy === 'bypass' && !offline) return { type: 'bypass', label: 'BYPASS' };
  const record = ctx.negative.get(w.flightKey);
  if (record && !offline) return { type: 'negative', record };
  // a body already verified and served whose commit is still running: wait for it and answer from the store
  const committing = ctx.state.flights.get(w.flightKey)?.fill;
  if (committing?.committing) await committing.done;
  let entry = await lookup(ctx, w);
  if (entry && !offline && await contradictsVerify(ctx, w, entry)) entry = null; // refetched, verified, replaced
  if (offline) {
    if (entry) return { type: 'entry', entry, label: isFresh(w, entry) ? 'HIT' : 'STALE' };
    return { type: 'alternate', otherwise: { status: 504, message: 'offline: not cached' } };
  }
  // a miss another process learned is gone (a cluster's shared negatives): not asked upstream again. Asked
  // before the running flight is read: nothing may await between that read and the flight's start
  const shared = entry || !ctx.fills?.negatives ? undefined : await sharedGone(ctx, w);
  if (shared) return { type: 'negative', record: shared };
  const flight = ctx.state.flights.get(w.flightKey);
  if (entry) {
    if (resolved.policy === 'immutable') return { type: 'entry', entry, label: 'HIT' };
    if (isFresh(w, entry)) return { type: 'entry', entry, label: 'FRESH' };
    if (flight) {
      if (resolved.busy === 'stale') return { type: 'entry', entry, label: 'STALE' };
      if (resolved.busy === 'bypass') return { type: 'bypass', label: 'BYPASS' };
      return { type: 'join', flight, stale: entry };
    }
    return { type: 'fetch', label: 'REFRESH', stale: entry };
  }
  if (flight) {
    if (resolved.busy === 'bypass' && resolved.policy !== 'immutable') return { type: 'bypass', label: 'BYPASS' };
    return { type: 'join', flight };
  }
  if (w.method === 'HEAD' && !kind.body?.rewrite) return { type: 'probe' };
  return { type: 'fetch', label: 'MISS' };
}

/** kinds with `reverify`: a stored body the mode's current digests disagree with is not served */
async function contradictsVerify(ctx: EngineCtx, w: Work, e: Entry): Promise<boolean> {
  const kind = w.inst.def.kinds[w.kind]!;
  if (!kind.cache?.reverify) return false;
  let want: VerifyResult;
  try { want = await expectationOf(ctx, w) ?? null; } catch { return false; }
  if (!want) return false;
  if (want.size !== undefined && want.size !== e.size) return true;
  if (want.pin !== undefined && e.meta?.pin !== want.pin) return true;
  return (['sha256', 'sha512', 'sha1', 'md5'] as const).some((a) => want[a] !== undefined && e.digests[a] !== undefined && want[a] !== e.digests[a]);
}
