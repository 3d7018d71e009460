// The pacman format for the Linux repository engine: one root per database (`<dir>/<repo>.db`, or the
// `.db.tar.*` name repo-add writes), whose primary is the database itself (+ its optional `.sig`) and also its
// package index: every desc's %FILENAME% in `<dir>`, pinned by %CSIZE% and %SHA256SUM%. The `.files` database
// of the same name (`<repo>.files`, `.files.tar.*`, + `.sig`) belongs to that root: it joins the generation
// once a client asks for it and is then fetched with the database, from the same upstream, published with it.
// A database that does not decode and parse to its end, or a `.files` that lists other packages than its
// `.db`, is never published.
import { Readable } from 'node:stream';
import { RepoError, type RepoFormat, type RootRef, type Classified } from '../linux-repo/format.js';
import type { PackageEntry } from '../linux-repo/package-index.js';
import { dbPackages } from './db.js';
import { dirOf, joinPath } from '../linux-repo/repo-paths.js';

const DATABASE = /^([^/]+)\.(db|files)(\.tar(\.[a-z0-9]+)?)?$/;
const FILES = /\.files(\.tar(\.[a-z0-9]+)?)?$/;

/** the root of one database: its directory plus the database name the client asks for */
export function databaseRoot(dir: string, db: string): RootRef { return { id: `pacman:${joinPath(dir, db)}`, layout: 'pacman', path: dir }; }
const databaseOf = (root: RootRef) => root.id.slice(root.id.lastIndexOf('/') + 1).replace(/^pacman:/, '');
/** `<repo>.db[.tar.*]` → `<repo>.files[.tar.*]` and back */
const filesOf = (db: string) => db.replace(/\.db((\.tar(\.[a-z0-9]+)?)?)$/, '.files$1');
const dbOf = (files: string) => files.replace(FILES, '.db$1');

export function classifyPacman(path: string): Classified {
  const last = path.slice(path.lastIndexOf('/') + 1);
  const db = last.endsWith('.sig') ? last.slice(0, -4) : last;
  if (!DATABASE.test(db)) return { type: 'passthrough' };
  return { type: 'primary', root: databaseRoot(dirOf(path), FILES.test(db) ? dbOf(db) : db), name: last };
}

/** every package of one database, read to its end (a truncated or corrupt one throws E_TORN) */
async function packagesOf(name: string, bytes: Buffer): Promise<Set<string>> {
  const out = new Set<string>();
  try {
    for await (const p of dbPackages(Readable.from([bytes]))) out.add(`${p.filename} ${p.csize} ${p.sha256 ?? ''}`);
  } catch (e) {
    throw new RepoError('E_TORN', `${name} does not read to its end (${(e as Error).message}): truncated or corrupt`);
  }
  return out;
}

export const pacmanFormat: RepoFormat = {
  name: 'pacman',
  classify: (path) => classifyPacman(path),
  primaryNames: (root) => [databaseOf(root), `${databaseOf(root)}.sig`],
  onDemandPrimaries: (root) => [filesOf(databaseOf(root)), `${filesOf(databaseOf(root))}.sig`],
  primaryIsIndex: true,
  async parsePrimary(files, root) {
    const name = databaseOf(root);
    const db = files.get(name);
    if (!db) throw new RepoError('E_NOT_FOUND', `${name} does not exist upstream`);
    const packages = await packagesOf(name, db);
    const filesName = filesOf(name), filesDb = files.get(filesName);
    if (filesDb) {
      const listed = await packagesOf(filesName, filesDb);
      if (listed.size !== packages.size || [...listed].some((p) => !packages.has(p)))
        throw new RepoError('E_TORN', `${filesName} lists other packages than ${name}: the upstream is between two states`);
    }
    return { listed: new Map(), attrs: { packages: String(packages.size) }, warnings: [] };
  },
  mandatory: () => [],
  indexGroup: () => null,
  async *readIndex(name: string, body: Readable, root: RootRef): AsyncIterable<PackageEntry> {
    if (name.endsWith('.sig')) return;
    for await (const p of dbPackages(body)) yield { path: joinPath(root.path, p.filename), size: p.csize, ...(p.sha256 ? { sha256: p.sha256 } : {}) };
  },
  upstreamNames: (name) => [name],
};
