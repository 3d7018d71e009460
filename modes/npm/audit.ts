// npm audits (`audit_passthrough: true`): the two read-only advisory endpoints are POSTed upstream as they
// came and answered uncached; everything else that writes stays refused.
import type { HookContext, Match, RespondOutput } from '../../engine/mode.js';

const FORWARDED = ['content-type', 'content-encoding', 'accept', 'npm-command'];

export const AUDIT_PATHS = '-/npm/v1/security/(?:advisories/bulk|audits/quick)';

export async function forwardAudit(m: Match, body: Buffer, ctx: HookContext): Promise<RespondOutput> {
  const headers: Record<string, string> = {};
  for (const h of FORWARDED) if (m.headers[h]) headers[h] = m.headers[h]!;
  const answer = (status: number, message: string): RespondOutput => ({ status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-cache': 'BYPASS' }, body: `${JSON.stringify({ error: message })}\n` });
  let r;
  try {
    r = await ctx.fetch({ path: m.path, method: 'POST', body, headers, foreground: true });
  } catch (e) {
    const f = e as { status?: number; message?: string };
    return answer(f.status ?? 502, f.message ?? 'upstream failed');
  }
  const parts: Buffer[] = [];
  try { for await (const c of r.body as AsyncIterable<Buffer>) parts.push(c); } finally { r.release(); }
  return { status: r.status, headers: { 'content-type': r.headers['content-type'] ?? 'application/json', 'cache-control': 'no-store', 'x-cache': 'BYPASS' }, body: Buffer.concat(parts) };
}
