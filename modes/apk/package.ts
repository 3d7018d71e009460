// The check of a completed apk v2 package (`.apk`: gzip members concatenated — an optional signature tar
// segment, the control segment with .PKGINFO, the data tar): the control member's SHA-1 must equal the
// index's `C:`, and the data member's SHA-256 the `datahash` the control's .PKGINFO names. The control
// segment is small and comes first: it is read from a bounded prefix; the data member is hashed streaming.
import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { tarEntries } from './tar-entries.js';

/** control segments larger than this (with the signature before them) fail the check */
export const MAX_CONTROL_PREFIX = 8 * 1024 * 1024;

/** the byte length of the gzip member starting at `at` and its inflated bytes */
export function gzipMember(buf: Buffer, at: number): { length: number; inflated: Buffer } {
  if (buf[at] !== 0x1f || buf[at + 1] !== 0x8b || buf[at + 2] !== 8) throw new Error(`no gzip member at byte ${at}`);
  const flags = buf[at + 3]!;
  let p = at + 10;
  if (flags & 4) p += 2 + buf.readUInt16LE(p);
  if (flags & 8) p = buf.indexOf(0, p) + 1;
  if (flags & 16) p = buf.indexOf(0, p) + 1;
  if (flags & 2) p += 2;
  if (p <= at || p > buf.length) throw new Error('gzip header cut short');
  const r = inflateRawSync(buf.subarray(p), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
  const end = p + r.engine.bytesWritten + 8;
  if (end > buf.length) throw new Error('gzip member cut short');
  return { length: end - at, inflated: r.buffer };
}

async function prefix(body: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body as AsyncIterable<Buffer>) { chunks.push(c); n += c.length; if (n >= max) break; }
  body.destroy();
  return Buffer.concat(chunks).subarray(0, max);
}

async function sha256From(body: Readable, skip: number): Promise<string> {
  const h = createHash('sha256');
  let seen = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    if (seen + c.length > skip) h.update(seen >= skip ? c : c.subarray(skip - seen));
    seen += c.length;
  }
  return h.digest('hex');
}

/** null when the package matches; else the reason */
export async function checkApkPackage(open: () => Readable, expectedControlSha1: string): Promise<string | null> {
  try {
    const head = await prefix(open(), MAX_CONTROL_PREFIX);
    let at = 0;
    let m = gzipMember(head, at);
    let entries = await tarEntries(m.inflated);
    if (entries[0]?.name.startsWith('.SIGN.')) { at += m.length; m = gzipMember(head, at); entries = await tarEntries(m.inflated); }
    const sha1 = createHash('sha1').update(head.subarray(at, at + m.length)).digest('hex');
    if (sha1 !== expectedControlSha1) return `control segment SHA-1 ${sha1} differs from the index's ${expectedControlSha1}`;
    const pkginfo = entries.find((e) => e.name === '.PKGINFO')?.data.toString('utf8') ?? '';
    const datahash = /^datahash = (.*)$/m.exec(pkginfo)?.[1]?.trim();
    if (!datahash) return null; // packages without datahash: the control SHA-1 is all the index pins
    const got = await sha256From(open(), at + m.length);
    return got === datahash.toLowerCase() ? null : `data segment SHA-256 ${got} differs from the datahash ${datahash} of .PKGINFO`;
  } catch (e) {
    return `not an apk v2 package: ${(e as Error).message}`;
  }
}
