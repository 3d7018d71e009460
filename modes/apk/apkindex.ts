// APKINDEX.tar.gz (apk v2): gzip members concatenated — an optional signature tar segment (`.SIGN.RSA.*`,
// passed on untouched, checked by apk), then a tar holding DESCRIPTION and APKINDEX. APKINDEX is stanzas of
// `K:value` lines separated by blank lines: P name, V version, S package size, C `Q1` + base64 of the SHA-1
// of the package's control gzip member.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { lines } from '../deb/stanza.js';

export interface ApkIndexPackage { name: string; version: string; size: number; controlSha1?: string }

/** `Q1<base64>` → hex SHA-1; other forms (an md5 hex of very old indexes) give undefined */
export function controlSha1(c: string | undefined): string | undefined {
  if (!c?.startsWith('Q1')) return undefined;
  const b = Buffer.from(c.slice(2), 'base64');
  return b.length === 20 ? b.toString('hex') : undefined;
}

/** the packages of an APKINDEX text (the tar member, decoded) */
export async function* apkIndexPackages(text: Readable | Iterable<string>): AsyncIterable<ApkIndexPackage> {
  let cur = new Map<string, string>();
  const done = function* (): Iterable<ApkIndexPackage> {
    const name = cur.get('P'), version = cur.get('V'), size = cur.get('S');
    if (name && version && size && /^\d+$/.test(size) && !/[/]/.test(name + version)) {
      const sha1 = controlSha1(cur.get('C'));
      yield { name, version, size: Number(size), ...(sha1 ? { controlSha1: sha1 } : {}) };
    }
    cur = new Map();
  };
  for await (const line of lines(text)) {
    if (line === '') { yield* done(); continue; }
    if (line[1] === ':') cur.set(line[0]!, line.slice(2));
  }
  yield* done();
}

/**
 * The APKINDEX member of an index archive, read to the archive's end: a truncated or corrupt archive throws
 * instead of giving a short index; an archive without APKINDEX (apk v3 indexes are other files) throws too.
 */
export async function apkIndexText(body: Readable): Promise<string> {
  const extract = tar.extract();
  body.pipe(createGunzip()).on('error', (e) => extract.destroy(e)).pipe(extract);
  let text: string | undefined;
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
    if (entry.header.name === 'APKINDEX') text = Buffer.concat(chunks).toString('utf8');
  }
  if (text === undefined) throw new Error('no APKINDEX member');
  return text;
}
