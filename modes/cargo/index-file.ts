// Index files (one JSON line per published version): checked before they are stored, and each version's
// cksum and spelling pinned for its `.crate` download. Stored and served byte for byte.
import type { IndexInput, IndexResult, Pin } from '../../engine/mode.js';

const CKSUM = /^[0-9a-f]{64}$/;

/** the crate's versions: {cksum, name as spelled}; throws on a line that is not an index entry */
export function versionsOf(text: string, crate: string): Record<string, Pin> {
  const out: Record<string, Pin> = {};
  let n = 0;
  for (const line of text.split('\n')) {
    n++;
    if (!line.trim()) continue;
    let e: unknown;
    try { e = JSON.parse(line); } catch { throw new Error(`upstream index file of ${crate}, line ${n}: not JSON; nothing was cached`); }
    const { name, vers, cksum } = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
    if (typeof name !== 'string' || typeof vers !== 'string' || typeof cksum !== 'string') {
      throw new Error(`upstream index file of ${crate}, line ${n}: not an index entry (name, vers, cksum); nothing was cached`);
    }
    if (CKSUM.test(cksum)) out[vers] = { cksum, name };
  }
  return out;
}

export async function indexCrateFile({ body, match }: IndexInput): Promise<IndexResult> {
  const parts: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) parts.push(c);
  const crate = match.params.name!;
  return { pins: [{ group: crate.toLowerCase(), entries: versionsOf(Buffer.concat(parts).toString('utf8'), crate) }] };
}
