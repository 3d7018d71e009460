// The registry web API (search and friends): GETs go to the upstream's `api` base uncached; without one, 404.
// Writes (publish, yank, owners) are refused: this is a read-only proxy.
import type { HookContext, Match } from '../../engine/mode.js';
import { upstreamConfig } from './upstream-config.js';

export const READ_ONLY = 'read-only caching proxy; publish to the upstream registry';

export async function apiTarget(m: Match, ctx: HookContext): Promise<string> {
  const api = (await upstreamConfig(ctx))?.api;
  return api ? `${api}/${m.path}` : m.path;
}

export async function admitApi({ ctx }: { ctx: HookContext }): Promise<'cache' | { status: number; message: string }> {
  return (await upstreamConfig(ctx))?.api ? 'cache' : { status: 404, message: 'the upstream registry has no api' };
}

/** cargo reads `errors[].detail` of any answer that is not a success */
export const cargoError = (message: string): string => `${JSON.stringify({ errors: [{ detail: message }] })}\n`;
