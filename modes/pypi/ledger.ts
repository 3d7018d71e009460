// The file ledger: what a project page says about each file it lists (hashes, size, core-metadata hashes,
// provenance URL), recorded as pins of the project when the page is stored. A file is verified against its
// pin before it is committed; a file whose pin is missing makes the engine fetch its project's page first.
import type { Match, Pin, PinnedBy } from '../../engine/mode.js';
import { JSON_ACCEPT } from './accept.js';
import { projectOfFile } from './names.js';
import { fileRefOfHex, fileRefOfPath, filesKey, keyOfRef, type FileRef } from './urls.js';

/** one file a page lists */
export interface PageFile {
  url: URL;
  /** hash name → hex, as the page gives them */
  hashes: Record<string, string>;
  size?: number;
  /** the PEP 658/714 metadata hashes (empty when the page only says it exists) */
  coreMetadata?: Record<string, string>;
  provenance?: URL;
}

const KNOWN = ['sha256', 'sha512', 'sha384', 'sha1', 'md5'] as const;
const HEX = /^[0-9a-f]+$/;

const hashPins = (hashes: Record<string, string>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const algo of KNOWN) { const v = hashes[algo]?.toLowerCase(); if (v && HEX.test(v)) out[algo] = v; }
  return out;
};

/** pins of a project's page: `<host>/<path>` per file, `<…>.metadata` per metadata hash, `prov:<…>` per provenance URL */
export function ledgerPins(files: readonly PageFile[]): Record<string, Pin> {
  const out: Record<string, Pin> = {};
  for (const f of files) {
    const key = filesKey(f.url);
    const pin: Record<string, string> = { ...hashPins(f.hashes), scheme: f.url.protocol };
    if (f.size !== undefined && Number.isSafeInteger(f.size) && f.size >= 0) pin.size = String(f.size);
    out[key] = pin;
    const meta = hashPins(f.coreMetadata ?? {});
    if (Object.keys(meta).length) out[`${key}.metadata`] = meta;
    if (f.provenance) out[`prov:${filesKey(f.provenance)}`] = { scheme: f.provenance.protocol };
  }
  return out;
}

/** the strongest usable digest of a pin: sha256, else sha512, sha384, sha1, md5 (the last only when alone) */
export function strongestDigest(pin: Pin): { algo: (typeof KNOWN)[number]; hex: string } | null {
  for (const algo of KNOWN) if (pin[algo]) return { algo, hex: pin[algo]! };
  return null;
}

/** the upstream file a `/files/` match names (readable or hex form) */
export function refOf(m: Pick<Match, 'params'>): FileRef | null {
  return m.params.hex !== undefined ? fileRefOfHex(m.params.hex) : fileRefOfPath(m.params.host ?? '', m.params.rest ?? '');
}

const fileName = (r: FileRef) => r.path.slice(r.path.lastIndexOf('/') + 1);
/** the project a file (or its `.metadata` / `.asc` companion) belongs to, from its name */
export const projectOfRef = (r: FileRef): string | null => projectOfFile(fileName(r).replace(/\.(?:metadata|asc)$/, ''));

/**
 * A file (and a `.metadata` file with a hash) is verified against the pin its project's page recorded; without
 * one, the page is fetched (class json) through the index kind first.
 */
export const filePins: PinnedBy = {
  pin: (m) => {
    const r = refOf(m);
    const project = r && projectOfRef(r);
    return r && project ? { group: project, key: keyOfRef(r) } : null;
  },
  source: (m) => ({ path: `simple/${projectOfRef(refOf(m)!)}/`, headers: { accept: JSON_ACCEPT } }),
  expected: (pin, m) => {
    const d = strongestDigest(pin);
    if (!d) return null;
    const file = fileName(refOf(m)!);
    const size = pin.size !== undefined ? Number(pin.size) : undefined;
    return {
      [d.algo]: d.hex, ...(size !== undefined && Number.isSafeInteger(size) ? { size } : {}), source: file,
      describe: (algo, expected, actual) => `hash mismatch for ${file}: index says ${algo}:${expected}, upstream sent ${algo}:${actual}; nothing was cached`,
    };
  },
  // a `.metadata` file whose page gives no hash is stored unverified, as signatures are; a distribution only when asked
  unknown: (m) => (m.config.require_known_hash === false || /\.metadata$/.test(refOf(m)?.path ?? '') ? 'store' : 'skip'),
  // the scheme the page named (the files host may serve only https); the client's query string is added by the engine
  target: (pin, m) => {
    const r = refOf(m);
    if (!r || !pin.scheme || m.params.hex !== undefined) return undefined;
    return `${pin.scheme}//${r.host}${r.path.split('/').map(encodeURIComponent).join('/')}`;
  },
};
