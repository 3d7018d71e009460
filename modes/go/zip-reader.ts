// Reading a zip from a stream that can be opened more than once, with bounded memory: the end record and the
// central directory are found first, then every entry's data is read in one pass in file order (stored or
// deflated, inflated with node:zlib). Zip64 archives are refused (a module zip is at most 500 MiB).
import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { createInflateRaw } from 'node:zlib';
import { once } from 'node:events';

export interface ZipEntry { name: string; method: number; compressedSize: number; size: number; offset: number }

const EOCD_SIG = 0x06054b50, CD_SIG = 0x02014b50, LOCAL_SIG = 0x04034b50;
const EOCD_MIN = 22, EOCD_MAX = EOCD_MIN + 0xffff;
const MAX_DIRECTORY = 64 * 1024 * 1024;

export class ZipFormatError extends Error {}

/** reads a stream in order: exact slices, skips, and a bounded pipe of n bytes into a consumer */
class Cursor {
  private it: AsyncIterator<Buffer>;
  private buf: Buffer = Buffer.alloc(0);
  pos = 0;
  constructor(stream: Readable) { this.it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator](); }
  private async fill(): Promise<boolean> {
    const r = await this.it.next();
    if (r.done) return false;
    this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    return true;
  }
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) if (!(await this.fill())) throw new ZipFormatError('zip ends early');
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.pos += n;
    return out;
  }
  async pipe(n: number, each: (chunk: Buffer) => Promise<void> | void): Promise<void> {
    let left = n;
    while (left > 0) {
      if (!this.buf.length && !(await this.fill())) throw new ZipFormatError('zip ends early');
      const part = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(part.length);
      this.pos += part.length;
      left -= part.length;
      await each(part);
    }
  }
  async skipTo(pos: number): Promise<void> {
    if (pos < this.pos) throw new ZipFormatError('zip entries overlap');
    await this.pipe(pos - this.pos, () => undefined);
  }
  async close(): Promise<void> { await this.it.return?.(); }
}

/** bytes [start, start + length) of the stream */
async function slice(open: () => Readable, start: number, length: number): Promise<Buffer> {
  const c = new Cursor(open());
  try { await c.skipTo(start); return Buffer.from(await c.read(length)); } finally { await c.close(); }
}

/** the central directory's entries, in directory order */
export async function zipEntries(open: () => Readable, size: number): Promise<ZipEntry[]> {
  if (size < EOCD_MIN) throw new ZipFormatError('not a zip file');
  const tailStart = Math.max(0, size - EOCD_MAX);
  const tail = await slice(open, tailStart, size - tailStart);
  let at = -1;
  for (let i = tail.length - EOCD_MIN; i >= 0; i--) if (tail.readUInt32LE(i) === EOCD_SIG && i + EOCD_MIN + tail.readUInt16LE(i + 20) === tail.length) { at = i; break; }
  if (at < 0) throw new ZipFormatError('not a zip file (no end of central directory)');
  const count = tail.readUInt16LE(at + 10), cdSize = tail.readUInt32LE(at + 12), cdOffset = tail.readUInt32LE(at + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw new ZipFormatError('zip64 archives are not supported');
  if (cdOffset + cdSize > tailStart + at || cdSize > MAX_DIRECTORY) throw new ZipFormatError('central directory out of bounds');
  const cd = cdOffset >= tailStart ? tail.subarray(cdOffset - tailStart, cdOffset - tailStart + cdSize) : await slice(open, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CD_SIG) throw new ZipFormatError('corrupt central directory');
    const flags = cd.readUInt16LE(p + 8), method = cd.readUInt16LE(p + 10);
    const compressedSize = cd.readUInt32LE(p + 20), sz = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28), extraLen = cd.readUInt16LE(p + 30), commentLen = cd.readUInt16LE(p + 32);
    const offset = cd.readUInt32LE(p + 42);
    if (flags & 1) throw new ZipFormatError('encrypted zip entries are not supported');
    if (compressedSize === 0xffffffff || sz === 0xffffffff || offset === 0xffffffff) throw new ZipFormatError('zip64 archives are not supported');
    const name = cd.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    entries.push({ name, method, compressedSize, size: sz, offset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** sha256 (hex) of each entry's uncompressed bytes, keyed by name; sizes must match the directory's */
export async function hashEntries(open: () => Readable, entries: readonly ZipEntry[], maxTotal: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const c = new Cursor(open());
  let total = 0;
  try {
    for (const e of [...entries].sort((a, b) => a.offset - b.offset)) {
      await c.skipTo(e.offset);
      const local = await c.read(30);
      if (local.readUInt32LE(0) !== LOCAL_SIG) throw new ZipFormatError(`corrupt local header of ${e.name}`);
      await c.read(local.readUInt16LE(26) + local.readUInt16LE(28));
      const h = createHash('sha256');
      let n = 0;
      if (e.method === 0) {
        await c.pipe(e.compressedSize, (b) => { h.update(b); n += b.length; });
      } else if (e.method === 8) {
        const inflate = createInflateRaw();
        inflate.on('data', (b: Buffer) => { h.update(b); n += b.length; if (n > e.size) inflate.destroy(new ZipFormatError(`${e.name} is larger than its directory entry says`)); });
        const ended = once(inflate, 'end');
        ended.catch(() => undefined); // awaited below; an error meanwhile rejects the pipe first
        await c.pipe(e.compressedSize, async (b) => { if (!inflate.write(b)) await once(inflate, 'drain'); });
        inflate.end();
        await ended;
      } else throw new ZipFormatError(`${e.name}: unsupported compression method ${e.method}`);
      if (n !== e.size) throw new ZipFormatError(`${e.name}: ${n} bytes, directory says ${e.size}`);
      total += n;
      if (total > maxTotal) throw new ZipFormatError(`more than ${maxTotal} bytes uncompressed`);
      out.set(e.name, h.digest('hex'));
    }
  } finally { await c.close(); }
  return out;
}
