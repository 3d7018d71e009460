// The rpm format for the Linux repository engine: a root is the directory holding `repodata/repomd.xml`;
// repomd pins every metadata file (primary, filelists, other, sqlite and zchunk variants, updateinfo, comps, …);
// primary.xml (any compression) is the package index. mirrorlist/metalink are passed through.
import type { Readable } from 'node:stream';
import { RepoError, type RepoFormat, type RootRef, type Classified } from '../linux-repo/format.js';
import { HEX_LENGTH, algOfHexLength } from '../shared/hex-digest.js';
import { decoded, compressionOf } from '../linux-repo/decompress.js';
import type { PackageEntry } from '../linux-repo/package-index.js';
import { parseRepomd, PRIMARY_HREF } from './repomd.js';
import { primaryEntries } from './primary-xml.js';

export const REPOMD = 'repodata/repomd.xml';
export const PRIMARY = [REPOMD, `${REPOMD}.asc`, `${REPOMD}.key`] as const;
const PRIMARY_XML = /(^|[/-])primary\.xml(\.(gz|xz|bz2|zst))?$/;
/** createrepo's unique metadata names start with the file's checksum */
const HASHED = new RegExp(`^(.*)/(${Object.values(HEX_LENGTH).map((n) => `[0-9a-f]{${n}}`).join('|')})-[^/]+$`);

export function rpmRoot(path: string): RootRef { return { id: `rpm:${path}`, layout: 'rpm', path }; }

/** a checksum-named file is looked up by digest, so a client that read the previous repomd.xml just before a publish still gets its files */
function within(root: RootRef, name: string): Classified {
  if ((PRIMARY as readonly string[]).includes(name)) return { type: 'primary', root, name };
  const h = HASHED.exec(name);
  if (h) return { type: 'digest', root, dir: h[1]!, alg: algOfHexLength(h[2]!.length)!, hex: h[2]! };
  return { type: 'listed', root, name };
}

export function classifyRpm(path: string, known: (path: string) => RootRef | undefined): Classified {
  const root = known(path);
  if (root && path.startsWith(root.path ? `${root.path}/` : '')) return within(root, path.slice(root.path ? root.path.length + 1 : 0));
  // an unknown root: `<root>/repodata/<file>` names it
  const segs = path.split('/');
  if (segs.length >= 2 && segs[segs.length - 2] === 'repodata') return within(rpmRoot(segs.slice(0, -2).join('/')), segs.slice(-2).join('/'));
  return { type: 'passthrough' };
}

export const rpmFormat: RepoFormat = {
  name: 'rpm',
  classify: classifyRpm,
  primaryNames: () => [...PRIMARY],
  parsePrimary: async (files) => {
    const repomd = files.get(REPOMD);
    if (!repomd) throw new RepoError('E_NOT_FOUND', 'repodata/repomd.xml does not exist upstream');
    return parseRepomd(repomd);
  },
  mandatory: (parsed) => (parsed.attrs[PRIMARY_HREF] ? [parsed.attrs[PRIMARY_HREF]] : []),
  indexGroup: (name) => (PRIMARY_XML.test(name) ? 'primary' : null),
  readIndex: (name: string, body: Readable, root: RootRef): AsyncIterable<PackageEntry> => primaryEntries(decoded(body, compressionOf(name)), root.path),
  upstreamNames: (name) => [name],
};
