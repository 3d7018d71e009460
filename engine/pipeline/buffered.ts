// An Answer read whole into memory instead of written to a client: the internal entry of the pipeline
// (ctx.fetchThrough), used by hooks for small documents such as checksum files and pinning documents.
import { readFromFill } from '../cache/fill.js';
import type { Answer } from './actions.js';
import { streamToBuffer } from './bodies.js';
import type { EngineCtx } from './context.js';
import { hookContext } from './hook-context.js';
import { representationOf } from './representation.js';
import type { Work } from './work.js';

export async function bufferAnswer(ctx: EngineCtx, w: Work, a: Answer): Promise<{ status: number; body: Buffer }> {
  switch (a.type) {
    case 'entry': {
      const rep = await representationOf(ctx, a.from ?? w, a.entry, a.derived);
      return { status: 200, body: rep.body ?? await streamToBuffer(await ctx.store.blobs.open(a.entry.blob.slice(7))) };
    }
    case 'fill': {
      if (w.inst.def.kinds[w.kind]!.body?.rewrite) {
        await a.fill.done;
        const entry = a.fill.state === 'complete' ? await ctx.store.entries.get(w.inst.name, w.keyHash) : null;
        return entry ? bufferAnswer(ctx, w, { type: 'entry', entry, label: a.label }) : { status: 502, body: Buffer.alloc(0) };
      }
      const parts: Buffer[] = [];
      const ok = await readFromFill(a.fill, { closed: () => false, write: async (b) => { parts.push(b); } });
      return ok ? { status: 200, body: Buffer.concat(parts) } : { status: a.fill.status ?? 502, body: Buffer.alloc(0) };
    }
    case 'upstream': {
      const rewrite = w.inst.def.kinds[w.kind]!.body?.rewrite;
      let body: Buffer;
      try { body = await streamToBuffer(a.resp.body); } finally { a.resp.release(); }
      if (rewrite && a.resp.status === 200) {
        body = (await rewrite({ body, headers: { ...a.resp.headers }, publicBase: w.publicBase, match: w.match, ctx: hookContext(ctx, w.inst) })).body;
      }
      return { status: a.resp.status, body };
    }
    case 'response': return { status: a.status, body: a.body };
    case 'negative': return { status: a.record.status, body: a.record.body };
    case 'head': return { status: a.status, body: Buffer.alloc(0) };
    case 'error': return { status: a.failure.status, body: Buffer.from(a.failure.message) };
  }
}
