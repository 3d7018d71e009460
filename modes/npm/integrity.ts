// Tarball verification: the expected digest is the version's pin, taken from any stored document of the
// package. Strongest of sha512 › sha384 › sha256 from `dist.integrity`, else `dist.shasum`.
import type { Match, Pin, PinnedBy } from '../../engine/mode.js';
import { INSTALL_V1 } from './accept.js';
import { tarballVersion } from './names.js';

const STRENGTH = ['sha512', 'sha384', 'sha256'] as const;
type Algo = (typeof STRENGTH)[number] | 'sha1';

/** the digest to check from a pin: {algo, hex} or null */
export function expectedDigest(pin: Pin | undefined): { algo: Algo; hex: string } | null {
  if (!pin) return null;
  const sri = new Map<string, string>();
  for (const item of (pin.integrity ?? '').trim().split(/\s+/)) {
    const m = /^(sha512|sha384|sha256)-([A-Za-z0-9+/]+={0,2})(?:\?.*)?$/.exec(item);
    if (m && !sri.has(m[1]!)) sri.set(m[1]!, Buffer.from(m[2]!, 'base64').toString('hex'));
  }
  for (const algo of STRENGTH) if (sri.has(algo)) return { algo, hex: sri.get(algo)! };
  if (pin.shasum && /^[0-9a-f]{40}$/i.test(pin.shasum)) return { algo: 'sha1', hex: pin.shasum.toLowerCase() };
  return null;
}

const sriOf = (algo: string, hex: string) => (algo === 'sha1' ? `sha1:${hex}` : `${algo}-${Buffer.from(hex, 'hex').toString('base64')}`);

export function tarballOf(m: Pick<Match, 'params'>): { name: string; version: string } | null {
  const { name, file } = m.params;
  const version = name && file ? tarballVersion(name, file) : null;
  return name && version ? { name, version } : null;
}

/**
 * A tarball is verified against the pin its package's documents recorded (documents.ts indexes every stored
 * document of the package); without a usable pin the engine fetches the abbreviated document through the
 * metadata kind first. The pin also names the fill target (`dist.tarball`).
 */
export const tarballPins: PinnedBy = {
  pin: (m) => { const t = tarballOf(m); return t && { group: t.name, key: t.version }; },
  source: (m) => ({ path: m.params.name!, headers: { accept: INSTALL_V1 } }),
  expected: (pin, m) => {
    const d = expectedDigest(pin);
    const t = tarballOf(m);
    if (!d || !t) return null;
    return {
      [d.algo]: d.hex, source: `${t.name}@${t.version}`,
      describe: (algo, expected, actual) => `integrity check failed for ${t.name}@${t.version}: expected ${sriOf(algo, expected)}, upstream sent ${sriOf(algo, actual)}; nothing was cached`,
    };
  },
  target: (pin) => pin.tarball,
};
