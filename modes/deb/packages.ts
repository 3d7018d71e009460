// Packages and Sources indexes → package entries (path, size, digests) for artifact verification.
import type { Readable } from 'node:stream';
import { stanzas } from './stanza.js';
import type { PackageEntry } from '../linux-repo/package-index.js';

/** join an index-relative file name to its base directory (mount-relative); null if it escapes */
export function resolveUnder(base: string, rel: string): string | null {
  const parts = [...base.split('/'), ...rel.split('/')].filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return null;
  return parts.join('/');
}

/** Packages: Filename + Size + SHA256/SHA512 (MD5sum/SHA1 kept too), resolved against `base` */
export async function* packagesEntries(body: Readable, base: string): AsyncIterable<PackageEntry> {
  for await (const s of stanzas(body)) {
    const filename = s.get('filename'), size = s.get('size');
    if (!filename || !size || !/^\d+$/.test(size)) continue;
    const path = resolveUnder(base, filename);
    if (!path) continue;
    const e: PackageEntry = { path, size: Number(size) };
    const put = (k: 'sha256' | 'sha512' | 'sha1' | 'md5', v?: string) => { if (v && /^[0-9a-f]+$/i.test(v)) e[k] = v.toLowerCase(); };
    put('sha256', s.get('sha256')); put('sha512', s.get('sha512')); put('sha1', s.get('sha1')); put('md5', s.get('md5sum'));
    yield e;
  }
}

/** Sources: Directory + each Checksums-Sha256 file (size + sha256); `Files` (md5) gives size and md5 */
export async function* sourcesEntries(body: Readable, base: string): AsyncIterable<PackageEntry> {
  for await (const s of stanzas(body)) {
    const dir = s.get('directory');
    if (!dir) continue;
    const files = new Map<string, PackageEntry>();
    const section = (field: string, alg: 'sha256' | 'sha512' | 'md5') => {
      for (const l of (s.get(field) ?? '').split('\n')) {
        const m = /^\s*([0-9a-fA-F]+)\s+(\d+)\s+(\S+)\s*$/.exec(l);
        if (!m) continue;
        const path = resolveUnder(base, `${dir}/${m[3]}`);
        if (!path) continue;
        const e = files.get(path) ?? { path, size: Number(m[2]) };
        e[alg] = m[1]!.toLowerCase();
        files.set(path, e);
      }
    };
    section('checksums-sha256', 'sha256'); section('checksums-sha512', 'sha512'); section('files', 'md5');
    yield* files.values();
  }
}
