// The deb format for the Linux repository engine: distribution roots `<base>/dists/<suite>`, flat roots
// (a directory with InRelease/Release/Packages*), by-hash names (Acquire-By-Hash), pdiffs, Packages/Sources
// as package indexes. Each compressed variant is its own listed file.
import type { Readable } from 'node:stream';
import type { RepoFormat, RootRef, Classified, Pins, ParsedPrimary, HashAlg } from '../linux-repo/format.js';
import type { RepoSettings } from '../linux-repo/settings.js';
import { decoded, compressionOf, uncompressedName } from '../linux-repo/decompress.js';
import { parseDebPrimary } from './release.js';
import { packagesEntries, sourcesEntries } from './packages.js';
import type { PackageEntry } from '../linux-repo/package-index.js';
import { dirOf, joinPath } from '../linux-repo/repo-paths.js';

export const PRIMARY = ['InRelease', 'Release', 'Release.gpg'] as const;
const BY_HASH = /^(?:(.*)\/)?by-hash\/(MD5Sum|SHA1|SHA256|SHA512)\/([0-9a-fA-F]+)$/;
const ALG: Record<string, HashAlg> = { MD5Sum: 'md5', SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };
const FLAT_LISTED = /^(Packages|Sources)(\.(gz|xz|bz2|lzma|zst))?$/;
const PDIFF_INDEX = /\.diff\/Index$/;
const INDEX = /(^|\/)(Packages|Sources)(\.(gz|xz|bz2|lzma|zst))?$/;


/** the manifest attribute recording the Release's Acquire-By-Hash field */
export const ACQUIRE_BY_HASH = 'acquire-by-hash';

export function distributionRoot(path: string): RootRef { return { id: `deb_distribution:${path}`, layout: 'deb_distribution', path }; }
export function flatRoot(path: string): RootRef { return { id: `deb_flat:${path}`, layout: 'deb_flat', path }; }

/** the archive base of a root: `<base>/dists/<suite>` → `<base>`; a flat root is its own base */
export function archiveBase(root: RootRef): string {
  if (root.layout !== 'deb_distribution') return root.path;
  const segs = root.path.split('/');
  return segs.slice(0, segs.indexOf('dists')).join('/');
}

function within(root: RootRef, name: string): Classified {
  if ((PRIMARY as readonly string[]).includes(name)) return { type: 'primary', root, name };
  const h = BY_HASH.exec(name);
  if (h) return { type: 'digest', root, dir: h[1] ?? '', alg: ALG[h[2]!]!, hex: h[3]!.toLowerCase() };
  return { type: 'listed', root, name };
}

export function classifyDeb(path: string, known: (path: string) => RootRef | undefined): Classified {
  const root = known(path);
  if (root && path.startsWith(root.path ? `${root.path}/` : '')) return within(root, path.slice(root.path ? root.path.length + 1 : 0));
  const segs = path.split('/');
  const last = segs[segs.length - 1] ?? '';
  const d = segs.indexOf('dists');
  if (d >= 0 && d < segs.length - 2) {
    // an unknown suite: `dists/<suite…>/<primary>` names it (a suite may contain '/'), else guess one segment
    if ((PRIMARY as readonly string[]).includes(last)) return { type: 'primary', root: distributionRoot(segs.slice(0, -1).join('/')), name: last };
    const r = distributionRoot(segs.slice(0, d + 2).join('/'));
    return within(r, segs.slice(d + 2).join('/'));
  }
  if (d < 0 && ((PRIMARY as readonly string[]).includes(last) || FLAT_LISTED.test(last))) {
    const r = flatRoot(segs.slice(0, -1).join('/'));
    return within(r, last);
  }
  return { type: 'passthrough' };
}

export const debFormat: RepoFormat = {
  name: 'deb',
  classify: classifyDeb,
  primaryNames: () => [...PRIMARY],
  parsePrimary: (files, _root, o) => parseDebPrimary(files.get('InRelease') ?? null, files.get('Release') ?? null, o.acceptTorn),
  mandatory: () => [],
  indexGroup: (name) => (INDEX.test(name) ? uncompressedName(name) : null),
  readIndex(name: string, body: Readable, root: RootRef): AsyncIterable<PackageEntry> {
    const text = decoded(body, compressionOf(name));
    const base = root.layout === 'deb_distribution' ? archiveBase(root) : root.path;
    return /(^|\/)Sources(\.\w+)?$/.test(name) ? sourcesEntries(text, base) : packagesEntries(text, base);
  },
  /** a Release with `Acquire-By-Hash: yes` serves each listed file under its digest too: asked first (never torn) */
  upstreamNames(name: string, pins: Pins, parsed: ParsedPrimary, s: RepoSettings): string[] {
    const out: string[] = [];
    if (s.upstreamByHash && parsed.attrs[ACQUIRE_BY_HASH] === 'yes') {
      if (pins.sha256) out.push(joinPath(dirOf(name), 'by-hash/SHA256', pins.sha256));
      else if (pins.sha512) out.push(joinPath(dirOf(name), 'by-hash/SHA512', pins.sha512));
    }
    out.push(name);
    return out;
  },
  refuse: (name, s) => (!s.pdiffs && PDIFF_INDEX.test(name) ? 'pdiffs are disabled on this proxy: download whole indexes' : null),
};
