// What a Linux repository format supplies to the shared generation engine: classify a path, name its root,
// list the primary files, parse a primary into pinned listed files, read index files into package entries,
// and the format's own upstream names and refusals. No format knowledge lives outside the format's folder.
import type { Readable } from 'node:stream';
import type { PackageEntry } from './package-index.js';
import type { RepoSettings } from './settings.js';
import type { DigestAlg } from '../shared/hex-digest.js';

/** digests and size a primary pins for one listed file (hex, lower case) */
export interface Pins { size: number; sha256?: string; sha512?: string; sha384?: string; sha224?: string; sha1?: string; md5?: string }
export type HashAlg = DigestAlg;
export const HASH_ALGS: readonly HashAlg[] = ['sha256', 'sha512', 'sha384', 'sha224', 'sha1', 'md5'];

/**
 * The digests a file is checked against: sha256 and sha512 where pinned (always computed), else the strongest
 * other one pinned that the checker can compute (`computable`). Weaker ones beside a sha256/sha512 are not.
 */
export function verifyingAlgs(p: Partial<Record<HashAlg, string>>, computable: readonly HashAlg[] = HASH_ALGS): HashAlg[] {
  const strong = (['sha256', 'sha512'] as const).filter((a) => p[a]);
  if (strong.length) return strong;
  const other = (['sha384', 'sha224', 'sha1', 'md5'] as const).find((a) => p[a] && computable.includes(a));
  return other ? [other] : [];
}

/** one repository discovered from client requests */
export interface RootRef {
  /** `<layout>:<root path>` */
  id: string;
  layout: string;
  /** mount-relative directory of the root ('' = the mount itself) */
  path: string;
}

export type Classified =
  | { type: 'primary'; root: RootRef; name: string }
  /** a file under a root: listed if the generation's primary pins it, else passed through */
  | { type: 'listed'; root: RootRef; name: string }
  /** a listed file of `dir` (root-relative) asked for by one of its digests (any retained generation answers) */
  | { type: 'digest'; root: RootRef; dir: string; alg: HashAlg; hex: string }
  | { type: 'passthrough' };

export interface ParsedPrimary {
  /** root-relative name → pins */
  listed: Map<string, Pins>;
  /** format attributes recorded in the manifest (suite, codename, date, valid-until, …) */
  attrs: Record<string, string>;
  /** ms since epoch; a candidate older than the current generation is "upstream behind" (rollback check) */
  date?: number;
  warnings: string[];
}

export class RepoError extends Error {
  constructor(readonly code: 'E_INVALID' | 'E_TORN' | 'E_BEHIND' | 'E_MISMATCH' | 'E_TOO_LARGE' | 'E_NOT_FOUND' | 'E_UPSTREAM', message: string) { super(message); }
}

export interface RepoFormat {
  /** config block key and the words used in logs */
  name: string;
  /** mount-relative path → what it is; `known(path)` is the longest registered root containing the path */
  classify(path: string, known: (path: string) => RootRef | undefined): Classified;
  /** the primary files of a root, fetched together from one upstream; the first is the change-check file */
  primaryNames(root: RootRef): string[];
  /**
   * Primaries fetched only once a client asked for one (pacman's `.files` database): the name then joins the
   * current generation (from its upstream, parsed with its other primaries) and is fetched with the others
   * by every later build while clients keep asking for it.
   */
  onDemandPrimaries?(root: RootRef): string[];
  /** fetched primaries (null = absent upstream) → pins; throws RepoError when the set is not a valid state */
  parsePrimary(files: Map<string, Buffer | null>, root: RootRef, o: { acceptTorn: boolean }): Promise<ParsedPrimary>;
  /**
   * The primary file is itself the package index (pacman `<repo>.db`, apk `APKINDEX.tar.gz`): every present
   * primary is read with `readIndex` too. Otherwise only listed files with an `indexGroup` are.
   */
  primaryIsIndex?: boolean;
  /** listed files every generation must store (rpm: primary), besides the wanted set */
  mandatory(parsed: ParsedPrimary): string[];
  /** listed files that feed the package index: one name per group (e.g. per uncompressed base name) */
  indexGroup(name: string): string | null;
  /** package entries of an index file (stored bytes, still compressed), artifact paths mount-relative */
  readIndex(name: string, body: Readable, root: RootRef): AsyncIterable<PackageEntry>;
  /** upstream names to try for a listed file, in order (e.g. a digest-named copy first, then the path) */
  upstreamNames(name: string, pins: Pins, parsed: ParsedPrimary, settings: RepoSettings): string[];
  /** a listed file this proxy refuses to serve (the 404 message), or null */
  refuse?(name: string, settings: RepoSettings): string | null;
  /**
   * What a streaming digest cannot prove about an artifact its index lists (apk: the SHA-1 of one gzip member):
   * read the completed file (each `open()` reads it anew); null passes, a reason fails the fill.
   */
  checkArtifact?(entry: PackageEntry, open: () => Readable): Promise<string | null>;
}
