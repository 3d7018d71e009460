// The pacman format for the Linux repository engine: one root per database (`<dir>/<repo>.db`, or the
// `.db.tar.*` name repo-add writes, and the `.files` database the same way), whose primary is the database
// itself (+ its optional `.sig`) and also its package index: every desc's %FILENAME% in `<dir>`, pinned by
// %CSIZE% and %SHA256SUM%. A database that does not decode and parse to its end is never published.
import { Readable } from 'node:stream';
import { RepoError, type RepoFormat, type RootRef, type Classified } from '../linux-repo/format.js';
import type { PackageEntry } from '../linux-repo/package-index.js';
import { dbPackages } from './db.js';

const DATABASE = /^([^/]+)\.(db|files)(\.tar(\.[a-z0-9]+)?)?$/;
const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

/** the root of one database: its directory plus the database name the client asks for */
export function databaseRoot(dir: string, db: string): RootRef { return { id: `pacman:${join(dir, db)}`, layout: 'pacman', path: dir }; }
const databaseOf = (root: RootRef) => root.id.slice(root.id.lastIndexOf('/') + 1).replace(/^pacman:/, '');

export function classifyPacman(path: string): Classified {
  const last = path.slice(path.lastIndexOf('/') + 1);
  const db = last.endsWith('.sig') ? last.slice(0, -4) : last;
  if (!DATABASE.test(db)) return { type: 'passthrough' };
  return { type: 'primary', root: databaseRoot(dirOf(path), db), name: last };
}

export const pacmanFormat: RepoFormat = {
  name: 'pacman',
  classify: (path) => classifyPacman(path),
  primaryNames: (root) => [databaseOf(root), `${databaseOf(root)}.sig`],
  primaryIsIndex: true,
  async parsePrimary(files, root) {
    const name = databaseOf(root);
    const db = files.get(name);
    if (!db) throw new RepoError('E_NOT_FOUND', `${name} does not exist upstream`);
    let packages = 0;
    try {
      for await (const _ of dbPackages(Readable.from([db]))) packages++;
    } catch (e) {
      throw new RepoError('E_TORN', `${name} does not read to its end (${(e as Error).message}): truncated or corrupt`);
    }
    return { listed: new Map(), attrs: { packages: String(packages) }, warnings: [] };
  },
  mandatory: () => [],
  indexGroup: () => null,
  async *readIndex(name: string, body: Readable, root: RootRef): AsyncIterable<PackageEntry> {
    if (name.endsWith('.sig')) return;
    for await (const p of dbPackages(body)) yield { path: join(root.path, p.filename), size: p.csize, ...(p.sha256 ? { sha256: p.sha256 } : {}) };
  },
  upstreamNames: (name) => [name],
};
