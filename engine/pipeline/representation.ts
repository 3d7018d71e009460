// What a stored entry is sent as: its own body, or the kind's rewrite of it (memoised per blob, public base
// and kind), or a body derived from it (alternates.ts).
import type { Entry } from '../cache/store.js';
import { streamToBuffer } from './bodies.js';
import type { EngineCtx } from './context.js';
import { hookContext } from './hook-context.js';
import { type Work, sha256 } from './work.js';

/** headers to send and, when it is not the stored blob itself, the body */
export async function representationOf(ctx: EngineCtx, w: Work, e: Entry, derived?: Buffer): Promise<{ headers: Record<string, string>; body?: Buffer }> {
  const rewrite = w.inst.def.kinds[w.kind]!.body?.rewrite;
  if (!rewrite) return { headers: { ...e.headers }, body: derived };
  const memoKey = `${e.blob}\n${w.publicBase}\n${w.inst.name}\n${w.kind}`;
  let out = ctx.state.rewrites.get(memoKey);
  if (!out) {
    const raw = derived ?? await streamToBuffer(await ctx.store.blobs.open(e.blob.slice(7)));
    const r = await rewrite({ body: raw, headers: { ...e.headers }, publicBase: w.publicBase, match: w.match, ctx: hookContext(ctx, w.inst) });
    const etag = `W/"${sha256(`${e.blob}\n1\n${w.publicBase}`).slice(0, 32)}"`;
    out = { body: r.body, headers: { ...e.headers, ...(r.headers ?? {}), etag } };
    ctx.state.rewrites.set(memoKey, out);
  }
  return { headers: { ...out.headers }, body: out.body };
}
