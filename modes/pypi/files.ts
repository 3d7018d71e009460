// `/files/…` requests: which kind a file name is, and the upstream URL a request may be fetched from
// (null = nothing the proxy may fetch: 404 with no upstream contact).
import type { HookContext, Match, ReqView } from '../../engine/mode.js';
import { isDistribution, projectOfFile } from './names.js';
import { fileRefOfHex, fileRefOfPath, keyOfRef, upstreamUrlOf, type FileRef } from './urls.js';
import { refOf } from './ledger.js';
import { settings } from './settings.js';

export type FileClass = 'file' | 'metadata' | 'signature' | 'other';

export function classOfName(name: string): FileClass {
  if (/\.metadata$/.test(name) && isDistribution(name.slice(0, -'.metadata'.length))) return 'metadata';
  if (/\.asc$/.test(name) && isDistribution(name.slice(0, -'.asc'.length))) return 'signature';
  return isDistribution(name) ? 'file' : 'other';
}

const READABLE = /^files\/([^/]+)\/(.+)$/;
const HEX = /^files\/([0-9a-fA-F]+)$/;

/** the upstream file a `/files/` request path names (readable or hex form), or null */
export function refOfPath(path: string): FileRef | null {
  const hex = HEX.exec(path);
  if (hex) return fileRefOfHex(hex[1]!);
  const m = READABLE.exec(path);
  return m ? fileRefOfPath(m[1]!, m[2]!) : null;
}

/** the class of the file a `/files/` request path names; null when it names none */
export function classOfPath(path: string): FileClass | null {
  const r = refOfPath(path);
  return r ? classOfName(r.path.slice(r.path.lastIndexOf('/') + 1)) : null;
}

/** the cache key of a `/files/` request: both forms of one file share it (host lower case, path decoded, no query) */
export const fileKey = (m: Match): string => `files/${keyOfRef(refOfPath(m.path)!)}`;

/** a `when` for the routes of one kind */
export const filesOf = (...classes: FileClass[]) => (r: ReqView): boolean => { const c = classOfPath(r.path); return c !== null && classes.includes(c); };

const withQuery = (r: FileRef, m: Match): FileRef => (m.params.hex !== undefined ? r : { ...r, query: '' }); // the readable form's query is forwarded by the engine

/** distributions and `.metadata` files: on the upstream's origin or an allowed files origin */
export async function fileUpstream(m: Match, ctx: HookContext): Promise<string | null> {
  const r = refOf(m);
  if (!r) return null;
  const s = settings.of(ctx);
  if (!s.proxyCoreMetadata && classOfName(r.path) === 'metadata') return null;
  return upstreamUrlOf(withQuery(r, m), s.upstream, (u) => ctx.targetAllowed(u));
}

/** the project whose page recorded a provenance URL: the distribution named by one of its path segments */
const projectOfPath = (path: string): string | null => {
  for (const seg of path.split('/').reverse()) { const p = projectOfFile(seg); if (p) return p; }
  return null;
};

/** `.asc` signatures and provenance objects a page named (others are not served) */
export async function companionUpstream(m: Match, ctx: HookContext): Promise<string | null> {
  const r = refOf(m);
  const s = settings.of(ctx);
  if (!r || !s.proxySignatures) return null;
  if (classOfName(r.path) !== 'signature') {
    const project = projectOfPath(r.path);
    if (!project || !(await ctx.pins.get(project))?.[`prov:${keyOfRef(r)}`]) return null;
  }
  return upstreamUrlOf(withQuery(r, m), s.upstream, (u) => ctx.targetAllowed(u));
}
