// The Maven repository layout: which file a path names and how it is cached.
//   <group as dirs>/<artifactId>/<version>/<artifactId>-<version>[-<classifier>].<ext>
// A version directory ending in -SNAPSHOT holds non-unique files (`a-1.1-SNAPSHOT.jar`, rewritten by every
// deploy) and timestamped ones (`a-1.1-20261122.214607-1.jar`, never rewritten).

export type MavenKind = 'metadata' | 'snapshot' | 'checksum' | 'release';

const DIGEST_SUFFIX = /\.(sha1|md5|sha256|sha512)$/;
const METADATA_FILES = new Set(['maven-metadata.xml', 'archetype-catalog.xml']);

export const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** the file a sidecar describes (`x.jar.sha1` → `x.jar`, `x.jar.asc` → `x.jar`), or null when the path is no sidecar */
export function describedBy(path: string): string | null {
  if (DIGEST_SUFFIX.test(path)) return path.replace(DIGEST_SUFFIX, '');
  if (path.endsWith('.asc')) return path.slice(0, -'.asc'.length);
  return null;
}

/** the artifact at the end of a sidecar chain (`x.jar.asc.sha1` → `x.jar`); the path itself when it is no sidecar */
export function artifactOf(path: string): string {
  let p = path;
  for (let up = describedBy(p); up !== null && up !== '' && !up.endsWith('/'); up = describedBy(p)) p = up;
  return p;
}

/** a non-unique file of a snapshot directory: the file name carries the directory's `-SNAPSHOT` version */
export function isNonUniqueSnapshot(path: string): boolean {
  const segs = path.split('/');
  const dir = segs[segs.length - 2];
  return !!dir && dir.endsWith('-SNAPSHOT') && segs[segs.length - 1]!.includes(dir);
}

/** first match wins: metadata (and its sidecars), non-unique snapshot files (and theirs), other sidecars, other files */
export function kindOf(path: string): MavenKind {
  const file = artifactOf(path);
  if (METADATA_FILES.has(baseName(file)) || path.startsWith('.index/')) return 'metadata';
  if (isNonUniqueSnapshot(file)) return 'snapshot';
  if (file !== path) return 'checksum';
  return 'release';
}

/** the XML root element a file must have, when the layout says it is XML */
export function xmlRootOf(path: string): 'project' | 'metadata' | null {
  if (path.endsWith('.pom')) return 'project';
  if (baseName(path) === 'maven-metadata.xml') return 'metadata';
  return null;
}
