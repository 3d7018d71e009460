// A generation: one consistent set of a root's metadata files, all from ONE upstream, verified against the
// pins of its primary files and published at once. Its files are blobs in the engine store (by sha256); its
// manifest lives in the root's state document (see generation-store.ts).
import { createHash } from 'node:crypto';
import { HASH_ALGS, type HashAlg, type ParsedPrimary, type RootRef } from './format.js';
import type { PackageIndex } from './package-index.js';

/** one stored metadata file */
export interface FileRec { sha256: string; size: number; hashes: Partial<Record<HashAlg, string>>; type?: string; lastModified?: string; etag?: string }
export type PrimaryRec = FileRec | { absent: true };

export interface Manifest {
  root: string; layout: string; path: string; n: number;
  /** the upstream base every file of this generation came from (its source of truth) */
  upstream: string;
  created: string; published: string;
  primary: Record<string, PrimaryRec>;
  files: Record<string, FileRec>;
  attrs: Record<string, string>;
  warnings: string[];
  /** sha256 of the generation's package index file (a blob too) */
  index?: string;
}

export interface Generation {
  n: number;
  manifest: Manifest;
  parsed: ParsedPrimary;
  index?: PackageIndex;
  /** `<alg>:<hex>` → listed name (digest-named requests) */
  byDigest: Map<string, string>;
}

export interface RootHealth { notFound: number; notFoundSince?: number; failures: number; torn: number; lastRefresh?: string; lastOutcome?: string; lastError?: string }
/** what the roots document records of a root: wanted files (name → last request) and refresh health */
export interface RootDoc { id: string; layout: string; path: string; wanted: Record<string, number>; lastRequest: number; health: RootHealth }

/** a root as the instance holds it */
export interface RootState {
  ref: RootRef;
  rid: string;
  doc: RootDoc;
  /** retained generations, newest (current) first */
  gens: Generation[];
  /** manifests in the root's state document, newest first: the retained ones and those cleanup has not dropped yet */
  stored: Manifest[];
  /** highest generation number ever written (numbers are never reused) */
  maxN: number;
  /** manifest rewrites of this root, one at a time */
  lock: Promise<unknown>;
  additions: Map<string, Promise<FileRec>>;
  /** on-demand primaries joining a generation (`<n>\n<name>`), one fetch each */
  joins: Map<string, Promise<PrimaryRec>>;
}

const slug = (id: string) => id.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 48);
/** a root's stable name in state document names */
export const ridOf = (id: string) => `${slug(id)}-${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;

export function digestMap(parsed: ParsedPrimary): Map<string, string> {
  const m = new Map<string, string>();
  for (const [name, pins] of parsed.listed) for (const alg of HASH_ALGS) if (pins[alg]) m.set(`${alg}:${pins[alg]}`, name);
  return m;
}

export function samePrimary(a: Record<string, PrimaryRec>, b: Record<string, PrimaryRec>): boolean {
  const key = (r?: PrimaryRec) => (!r ? 'none' : 'absent' in r ? 'absent' : r.sha256);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].every((n) => key(a[n]) === key(b[n]));
}

/** every blob a manifest names: primaries, listed files, the package index */
export function* blobsOf(m: Manifest): Iterable<string> {
  for (const r of Object.values(m.primary)) if (!('absent' in r)) yield r.sha256;
  for (const r of Object.values(m.files)) yield r.sha256;
  if (m.index) yield m.index;
}
