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

/** the fill target a pinned kind's pin names, if any (learned first when missing) */
export async function pinnedTarget(ctx: EngineCtx, inst: Instance, by: PinnedBy, match: Match, hook: () => HookContext): Promise<string | undefined> {
  if (!by.target) return undefined;
  const pin = await learnPin(ctx, inst, by, match);
  return pin ? by.target(pin, match, hook()) : undefined;
}

/** a pinned kind whose `unknown` answers `{ notFound }`: the 404 message when its pin stays unknown after the source was fetched */
export async function unknownPin(ctx: EngineCtx, inst: Instance, by: PinnedBy, match: Match): Promise<string | undefined> {
  const verdict = by.unknown?.(match);
  if (typeof verdict !== 'object' || !by.pin(match)) return undefined;
  const pin = await learnPin(ctx, inst, by, match);
  return pin && by.expected(pin, match) ? undefined : verdict.notFound;
}
