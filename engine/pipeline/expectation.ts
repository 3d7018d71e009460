// What a body of a kind must hash to: the kind's verify hook, or the pins another kind recorded (pinned.ts).
import type { VerifyResult } from '../mode.js';
import type { EngineCtx } from './context.js';
import { hookContext } from './hook-context.js';
import { pinnedExpectation } from './pinned.js';
import type { Work } from './work.js';

/** undefined: the kind verifies nothing; `headers`: the upstream response head, when asked at fill start */
export function expectationOf(ctx: EngineCtx, w: Work, headers?: Record<string, string>): Promise<VerifyResult> | undefined {
  const body = w.inst.def.kinds[w.kind]!.body;
  if (body?.verify) return body.verify({ match: w.match, ctx: hookContext(ctx, w.inst), rule: w.resolved.rule, headers });
  if (body?.pinnedBy) return pinnedExpectation(ctx, w.inst, body.pinnedBy, w.match);
  return undefined;
}
