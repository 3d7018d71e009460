// A key's other representations (KindSpec.alternates): when the request's class is neither stored nor
// fetchable, a stored class the client's Accept allows, or one derived from a stored class, answers STALE.
import { createHash } from 'node:crypto';
import type { Entry } from '../cache/store.js';
import type { Alternates, Derivation } from '../mode.js';
import { acceptQuality } from '../http/accept.js';
import { streamToBuffer } from './bodies.js';
import { lookup } from './entries.js';
import type { EngineCtx } from './context.js';
import { type Work, sha256 } from './work.js';

export interface AlternateChoice { cls: string; q: number; derive?: Derivation }

/** the usable alternates of class `own`, best first: highest q, a stored body before a derived one on a tie */
export function rankAlternates(accept: string | undefined, own: string, storedTypes: ReadonlyMap<string, string>, alt: Alternates): AlternateChoice[] {
  const out: AlternateChoice[] = [];
  for (const [cls, type] of storedTypes) {
    if (cls === own) continue;
    const q = acceptQuality(accept, type);
    if (q > 0) out.push({ cls, q });
  }
  for (const d of alt.derive ?? []) {
    if (d.to !== own || !storedTypes.has(d.from)) continue;
    const q = acceptQuality(accept, d.type);
    if (q > 0) out.push({ cls: d.from, q, derive: d });
  }
  return out.sort((a, b) => b.q - a.q || Number(!!a.derive) - Number(!!b.derive));
}

/** an alternate representation of w's key that is stored (or derivable) and acceptable; undefined when none is */
export async function findAlternate(ctx: EngineCtx, w: Work): Promise<{ src: Work; entry: Entry; body?: Buffer } | undefined> {
  const alt = w.inst.def.kinds[w.kind]!.cache?.alternates;
  const parts = w.keyParts;
  const own = parts?.classes[alt?.header ?? ''];
  if (!alt || !parts || own === undefined) return undefined;
  const stored = new Map<string, { w: Work; entry: Entry }>();
  for (const cls of alt.classes) {
    if (cls === own || stored.has(cls)) continue;
    const key = parts.head + Object.entries(parts.classes).map(([h, c]) => `;${h}=${h === alt.header ? cls : c}`).join('') + parts.tail;
    const keyHash = sha256(`${w.inst.name}\n${key}`);
    const sw: Work = { ...w, key, keyHash, flightKey: `${w.inst.name}/${keyHash}` };
    const entry = await lookup(ctx, sw);
    if (entry && entry.status === 200) stored.set(cls, { w: sw, entry });
  }
  if (!stored.size) return undefined;
  const types = new Map([...stored].map(([cls, s]) => [cls, s.entry.headers['content-type'] ?? 'application/octet-stream']));
  for (const choice of rankAlternates(w.match.headers.accept, own, types, alt)) {
    const src = stored.get(choice.cls)!;
    let entry = src.entry;
    let body: Buffer | undefined;
    if (choice.derive) {
      body = await derive(ctx, entry, choice.derive).catch((e: Error) => {
        ctx.log.warn('could not derive a representation', { instance: w.inst.name, kind: w.kind, key: w.key.slice(0, 256), err: e.message });
        return undefined;
      });
      if (!body) continue;
      const digest = createHash('sha256').update(body).digest('hex');
      const { etag: _etag, ...headers } = entry.headers;
      entry = { ...entry, blob: `sha256:${digest}`, size: body.length, digests: { sha256: digest }, etag: undefined, headers: { ...headers, 'content-type': choice.derive.type } };
    }
    return { src: src.w, entry, body };
  }
  return undefined;
}

// derived bodies are made from immutable blobs: kept (ctx.state.derived) for the next request of the same outage
async function derive(ctx: EngineCtx, source: Entry, d: Derivation): Promise<Buffer> {
  const memoKey = `${source.blob}\n${d.from}\n${d.to}`;
  const hit = ctx.state.derived.get(memoKey);
  if (hit) return hit;
  const encoding = source.headers['content-encoding'];
  if (encoding && encoding !== 'identity') throw new Error(`stored body is ${encoding}-encoded`);
  const body = d.transform(await streamToBuffer(await ctx.store.blobs.open(source.blob.slice(7))));
  ctx.state.derived.set(memoKey, body);
  return body;
}
