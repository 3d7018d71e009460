// Per-instance persisted mode state (pins, learned fetch targets) and the SSRF guard's view of it.
import { StatePins } from '../cache/pins.js';
import { LearnedTargets } from '../upstream/targets.js';
import type { Instance } from '../instance.js';
import type { EngineCtx } from './context.js';
import type { InstanceState } from './state.js';

export function stateOf(ctx: EngineCtx, inst: Instance): InstanceState {
  let s = ctx.state.instances.get(inst);
  if (!s) {
    s = { pins: new StatePins(ctx.store.state, inst.name), targets: new LearnedTargets(ctx.store.state, inst.name, inst.allowedOrigins, ctx.log) };
    ctx.state.instances.set(inst, s);
  }
  return s;
}

export function targetAllowed(ctx: EngineCtx, inst: Instance, u: URL): boolean {
  return inst.allowedOrigins.has(u.origin) || inst.allowedOrigins.has(u.host) || stateOf(ctx, inst).targets.has(u.origin);
}

/** true when u is reachable only as a public host (learned origins unless a configured upstream is private, public redirects) */
export async function publicOnly(ctx: EngineCtx, inst: Instance, u: URL): Promise<boolean> {
  if (inst.allowedOrigins.has(u.origin) || inst.allowedOrigins.has(u.host)) return false;
  const targets = stateOf(ctx, inst).targets;
  return !(targets.has(u.origin) && await targets.privateAllowed());
}
