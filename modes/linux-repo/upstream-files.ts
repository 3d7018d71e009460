// Metadata files from upstream into the store: primaries (small, also read into memory; 404 = absent) and
// listed files checked against their pins (the format's upstream names tried in order, one upstream at a time).
import type { UpstreamReply } from '../../engine/mode.js';
import { RepoError, verifyingAlgs, type ParsedPrimary, type Pins, type RootRef } from './format.js';
import type { FileRec, RootState } from './generation.js';
import { hostOf, type RepoCore } from './core.js';
import { encodePath, joinPath } from './repo-paths.js';

export type Fetched = { status: number; bytes: Buffer | null; rec?: FileRec; base: string };

/** a primary file; 404/410/304 come back without bytes; other statuses and network errors throw */
export async function fetchPrimary(core: RepoCore, ref: RootRef, name: string, o: { bases?: string[]; failoverOn404: boolean; headers?: Record<string, string>; signal?: AbortSignal }): Promise<Fetched> {
  const r = await core.ctx.fetch({ path: encodePath(joinPath(ref.path, name)), bases: o.bases, failoverOnStatus: o.failoverOn404 ? [404] : undefined, headers: o.headers, signal: o.signal, foreground: !o.signal });
  if (r.status === 404 || r.status === 410 || r.status === 304) { r.body.resume(); r.release(); return { status: r.status, bytes: null, base: r.base }; }
  if (r.status !== 200) { r.body.resume(); r.release(); throw new RepoError('E_UPSTREAM', `${hostOf(r.base)} answered ${r.status} for ${name}`); }
  const rec = await core.store.receive(r.body, { max: core.s.maxMetadataBytes, headers: r.headers }).finally(() => r.release());
  return { status: 200, bytes: await core.store.read(rec.sha256), rec, base: r.base };
}

/** a listed file with its pins: reused when a retained generation already stores those bytes, else from `bases` */
export async function fetchListed(core: RepoCore, rs: RootState, name: string, pins: Pins, parsed: ParsedPrimary, bases: string[], signal?: AbortSignal): Promise<FileRec> {
  const known = storedWithPins(rs, pins);
  if (known && (await core.store.has(known.sha256))) return known;
  const errors: string[] = [];
  for (const base of bases) {
    for (const variant of core.format.upstreamNames(name, pins, parsed, core.s)) {
      let r: UpstreamReply;
      try {
        r = await core.ctx.fetch({ path: encodePath(joinPath(rs.ref.path, variant)), bases: [base], signal, foreground: !signal });
      } catch (e) { errors.push(`${hostOf(base)}: ${(e as Error).message}`); break; } // this upstream is unreachable
      if (r.status !== 200) { r.body.resume(); r.release(); errors.push(`${hostOf(base)} ${variant}: ${r.status}`); continue; }
      try {
        return await core.store.receive(r.body, { pins, max: core.s.maxMetadataBytes, headers: r.headers });
      } catch (e) {
        errors.push(`${hostOf(base)} ${variant}: ${(e as Error).message}`);
      } finally { r.release(); }
    }
  }
  throw new RepoError('E_MISMATCH', `${name}: ${errors.join('; ') || 'no upstream'}`);
}

function storedWithPins(rs: RootState, pins: Pins): FileRec | undefined {
  const algs = verifyingAlgs(pins);
  if (!algs.length) return undefined;
  for (const g of rs.gens) for (const rec of Object.values(g.manifest.files)) {
    if (rec.size === pins.size && algs.every((a) => rec.hashes[a] === pins[a])) return rec;
  }
  return undefined;
}
