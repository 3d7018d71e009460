// A pacman sync database (`<repo>.db`, `<repo>.files`): a tar, compressed with whatever repo-add was told
// (sniffed from the bytes: the name `<repo>.db` says nothing), holding one `<pkg>-<ver>/desc` per package.
// Each desc is `%FIELD%` lines followed by values up to a blank line.
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { decoded, type Compression } from '../linux-repo/decompress.js';

export interface DbPackage { filename: string; csize: number; sha256?: string }

/** compression by magic bytes; anything else is read as a plain tar */
export function sniff(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  return 'none';
}

/** the fields of one desc file: FIELD → values */
export function parseDesc(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let field: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^%([A-Z0-9]+)%$/.exec(line);
    if (m) { field = m[1]!; out.set(field, []); continue; }
    if (line === '') { field = undefined; continue; }
    if (field) out.get(field)!.push(line);
  }
  return out;
}

function entryOf(desc: Map<string, string[]>): DbPackage | null {
  const filename = desc.get('FILENAME')?.[0], csize = desc.get('CSIZE')?.[0], sha = desc.get('SHA256SUM')?.[0];
  if (!filename || !csize || !/^\d+$/.test(csize) || filename.includes('/') || filename === '..') return null;
  return { filename, csize: Number(csize), ...(sha && /^[0-9a-f]{64}$/i.test(sha) ? { sha256: sha.toLowerCase() } : {}) };
}

async function* prefixed(first: Buffer, rest: AsyncIterator<Buffer>): AsyncIterable<Buffer> {
  yield first;
  for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
}

/**
 * Every package of a database, read to its end: a truncated or corrupt database throws (a decoder or tar
 * error) instead of yielding a short list.
 */
export async function* dbPackages(body: Readable): AsyncIterable<DbPackage> {
  const it = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) throw new Error('empty database');
  const head = Buffer.from(first.value);
  const extract = tar.extract();
  decoded(Readable.from(prefixed(head, it)), sniff(head)).on('error', (e) => extract.destroy(e)).pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
    if (!/(^|\/)desc$/.test(entry.header.name)) continue;
    const e = entryOf(parseDesc(Buffer.concat(chunks).toString('utf8')));
    if (e) yield e;
  }
}
