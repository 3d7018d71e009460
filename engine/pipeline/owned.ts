// Respond routes that name an owner key (RouteSpec.owner): with a coordinator (a cluster), the request is
// answered by the process that owns the key — its answer streams through unchanged — unless that is this one.
import type { IncomingHttpHeaders } from 'node:http';
import type { Instance } from '../instance.js';
import type { Match, RespondOutput, RouteSpec } from '../mode.js';
import type { EngineCtx } from './context.js';
import { hookContext } from './hook-context.js';
import type { Target } from './work.js';

export interface RequestAsReceived { method: string; target: Target; headers: IncomingHttpHeaders; body: Buffer; requestId: string }

/** the owner's answer, or null: answer here (no coordinator, no owner key, this process owns it, no other answers) */
export async function ownerAnswer(ctx: EngineCtx, inst: Instance, spec: RouteSpec, match: Match, r: RequestAsReceived): Promise<RespondOutput | null> {
  const fills = ctx.fills;
  if (!fills?.owned || !spec.owner) return null;
  const ownerKey = await spec.owner(match, hookContext(ctx, inst));
  if (ownerKey === undefined) return null;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const resp = await fills.owned({ inst, ownerKey, method: r.method, target: r.target, headers, body: r.body, requestId: r.requestId }).catch(() => null);
  if (!resp) return null;
  return { status: resp.status, headers: resp.headers, body: resp.body };
}
