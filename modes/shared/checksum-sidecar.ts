// Checksum files published beside the files they describe: a sidecar (`<file>.sha256`, `<file>.sha1`, …, first
// token = the hex digest) or a sums list (`SHA256SUMS`: coreutils or BSD lines). Modes read them through their own
// instance (`ctx.fetchThrough`), so the checksum file is cached under its own kind like any other request.
import type { HookContext } from '../../engine/mode.js';
import { HEX_LENGTH } from './hex-digest.js';

export type SidecarAlgo = 'sha512' | 'sha256' | 'sha1' | 'md5';
export interface SidecarDigest { algo: SidecarAlgo; hex: string }

/** the algorithms a digest's length names when the file does not say (md5 is never guessed) */
const GUESSED_BY_LENGTH: Record<number, SidecarAlgo> = { 64: 'sha256', 128: 'sha512', 40: 'sha1' };

/**
 * The digest a sidecar states: its first whitespace-separated token, hex of the algorithm's length (any case).
 * Without `algo` the length names it (sha256, sha512, sha1). null = no usable digest.
 */
export function parseSidecar(text: string, algo?: SidecarAlgo): SidecarDigest | null {
  const hex = text.trim().split(/\s+/)[0] ?? '';
  if (!/^[0-9a-fA-F]+$/.test(hex)) return null;
  const named = algo ?? GUESSED_BY_LENGTH[hex.length];
  if (!named || HEX_LENGTH[named] !== hex.length) return null;
  return { algo: named, hex: hex.toLowerCase() };
}

/** the line of a sums list naming `fileName` (its base name), coreutils (`<hex>  [*]name`) or BSD (`SHA256 (name) = <hex>`) */
export function parseSums(text: string, fileName: string): { algo: 'sha256' | 'sha512' | 'sha1'; hex: string } | null {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const bsd = /^(SHA256|SHA512|SHA1)\s*\((.+)\)\s*=\s*([0-9a-fA-F]+)$/.exec(line);
    if (bsd) {
      if (baseName(bsd[2]!) === fileName) return { algo: bsd[1]!.toLowerCase() as 'sha256', hex: bsd[3]!.toLowerCase() };
      continue;
    }
    const gnu = /^([0-9a-fA-F]+)\s+\*?(.+)$/.exec(line);
    if (gnu && baseName(gnu[2]!.trim()) === fileName) {
      const algo = GUESSED_BY_LENGTH[gnu[1]!.length];
      if (algo && algo !== 'md5') return { algo, hex: gnu[1]!.toLowerCase() };
    }
  }
  return null;
}

export const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** a checksum file of this instance, through its cache (stored, single-flight, 404s negatively cached): its text, or null when not 200 */
export async function readChecksumFile(ctx: HookContext, path: string): Promise<string | null> {
  const got = await ctx.fetchThrough(path);
  return got && got.status === 200 ? got.body.toString('utf8') : null;
}
