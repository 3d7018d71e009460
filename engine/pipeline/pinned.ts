// Pinned verification: a kind whose expected digests were recorded as pins by another kind's documents (an
// npm tarball's by its packument). A missing pin is learned by fetching the pinning document through the
// pipeline (its index hook records the pins), once per request that needs it; concurrent ones join its flight.
import type { HookContext, Match, Pin, PinnedBy, VerifyResult } from '../mode.js';
import type { Instance } from '../instance.js';
import type { EngineCtx } from './context.js';
import { stateOf } from './instance-state.js';

/** the pin this request's body is verified against, learned through the pinning document if none is stored yet */
export async function learnPin(ctx: EngineCtx, inst: Instance, by: PinnedBy, match: Match): Promise<Pin | undefined> {
  const ref = by.pin(match);
  if (!ref) return undefined;
  const pins = stateOf(ctx, inst).pins;
  const stored = (await pins.get(ref.group))?.[ref.key];
  if (stored && by.expected(stored, match)) return stored;
  const src = by.source(match);
  await ctx.fetchThrough(inst, src.path, src.headers);
  return (await pins.get(ref.group))?.[ref.key];
}

/** the expectation a pinned kind's fill is verified against; unknown → skip (served, not stored unless `unknown` says so; counted as verify skipped) */
export async function pinnedExpectation(ctx: EngineCtx, inst: Instance, by: PinnedBy, match: Match): Promise<VerifyResult> {
  const pin = await learnPin(ctx, inst, by, match);
  const want = pin ? by.expected(pin, match) : null;
  if (want) return want;
  const ref = by.pin(match);
  const keep = by.unknown?.(match) === 'store';
  ctx.log.warn(`expected digest unknown (no pinning document lists it); ${keep ? 'stored unverified' : 'served without storing'}`, { instance: inst.name, key: ref ? `${ref.group} ${ref.key}` : match.path });
  return keep ? { skip: true, keep: true } : { skip: true };
}

/** what a pinned kind's pin decides before the cache is consulted, from one lookup (learned first when missing):
 *  a 404 when `unknown` says `{ notFound }` and the pin stays unknown, else the fill target the pin names */
export async function pinnedRoute(ctx: EngineCtx, inst: Instance, by: PinnedBy, match: Match, hook: () => HookContext): Promise<{ notFound?: string; target?: string }> {
  const verdict = by.unknown?.(match);
  const refuses = typeof verdict === 'object';
  if ((!refuses && !by.target) || !by.pin(match)) return {};
  const pin = await learnPin(ctx, inst, by, match);
  if (refuses && !(pin && by.expected(pin, match))) return { notFound: verdict.notFound };
  return { target: pin && by.target ? await by.target(pin, match, hook()) : undefined };
}
