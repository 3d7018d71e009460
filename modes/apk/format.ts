// The apk format for the Linux repository engine: `<dir>/APKINDEX.tar.gz` is a root (e.g.
// `v3.20/main/x86_64`) whose only primary is that archive, also its package index: `<dir>/<P>-<V>.apk`,
// size `S:`, and `C:` (SHA-1 of the control segment) checked on the completed file. An archive that does not
// read to its end is never published.
import { Readable } from 'node:stream';
import { RepoError, type RepoFormat, type RootRef, type Classified, type ParsedPrimary } from '../linux-repo/format.js';
import type { PackageEntry } from '../linux-repo/package-index.js';
import { apkIndexPackages, apkIndexText } from './apkindex.js';
import { checkApkPackage } from './package.js';
import { dirOf, joinPath } from '../linux-repo/repo-paths.js';

export const APKINDEX = 'APKINDEX.tar.gz';
const ADB_MAGIC = 'ADB';

export function indexRoot(dir: string): RootRef { return { id: `apk:${dir}`, layout: 'apk', path: dir }; }

export function classifyApk(path: string): Classified {
  return path === APKINDEX || path.endsWith(`/${APKINDEX}`) ? { type: 'primary', root: indexRoot(dirOf(path)), name: APKINDEX } : { type: 'passthrough' };
}

export const apkFormat: RepoFormat = {
  name: 'apk',
  classify: (path) => classifyApk(path),
  primaryNames: () => [APKINDEX],
  primaryIsIndex: true,
  async parsePrimary(files): Promise<ParsedPrimary> {
    const b = files.get(APKINDEX);
    if (!b) throw new RepoError('E_NOT_FOUND', `${APKINDEX} does not exist upstream`);
    // an apk v3 (adb) index is served as it is, unparsed: its packages are unindexed
    if (b.subarray(0, 3).toString('latin1') === ADB_MAGIC) return { listed: new Map(), attrs: { format: 'adb' }, warnings: [`${APKINDEX} is an apk v3 (adb) index: not parsed, its packages are unindexed`] };
    let packages = 0;
    try {
      for await (const _ of apkIndexPackages([await apkIndexText(Readable.from([b]))])) packages++;
    } catch (e) {
      throw new RepoError('E_TORN', `${APKINDEX} does not read to its end (${(e as Error).message}): truncated, corrupt or not an apk v2 index`);
    }
    return { listed: new Map(), attrs: { packages: String(packages) }, warnings: [] };
  },
  mandatory: () => [],
  indexGroup: () => null,
  async *readIndex(_name: string, body: Readable, root: RootRef): AsyncIterable<PackageEntry> {
    // read to its end either way; an adb index yields nothing
    const chunks: Buffer[] = [];
    for await (const c of body as AsyncIterable<Buffer>) chunks.push(c);
    const bytes = Buffer.concat(chunks);
    if (bytes.subarray(0, 3).toString('latin1') === ADB_MAGIC) return;
    body = Readable.from([bytes]);
    for await (const p of apkIndexPackages([await apkIndexText(body)])) {
      yield { path: joinPath(root.path, `${p.name}-${p.version}.apk`), size: p.size, ...(p.controlSha1 ? { check: p.controlSha1 } : {}) };
    }
  },
  upstreamNames: (name) => [name],
  checkArtifact: (entry, open) => (entry.check ? checkApkPackage(open, entry.check) : Promise.resolve(null)),
};
