// Index files are decoded only to be parsed (the bytes served stay the upstream's). Maintained libraries
// only: gzip via node:zlib, xz/lzma via lzma-native (liblzma), bzip2 via unbzip2-stream, zstd via fzstd.
import { createGunzip } from 'node:zlib';
import { PassThrough, Transform, type Readable } from 'node:stream';
import lzma from 'lzma-native';
import unbzip2 from 'unbzip2-stream';
import { Decompress as ZstdDecompress } from 'fzstd';

export type Compression = 'none' | 'gzip' | 'xz' | 'lzma' | 'bzip2' | 'zstd';

/** by file name: Packages.xz → xz; anything unknown → none */
export function compressionOf(name: string): Compression {
  const ext = /\.(gz|xz|lzma|bz2|zst)$/.exec(name)?.[1];
  return ext === 'gz' ? 'gzip' : ext === 'xz' ? 'xz' : ext === 'lzma' ? 'lzma' : ext === 'bz2' ? 'bzip2' : ext === 'zst' ? 'zstd' : 'none';
}

/** name without its compression suffix (Packages.xz → Packages) */
export const uncompressedName = (name: string): string => name.replace(/\.(gz|xz|lzma|bz2|zst)$/, '');

function zstdStream(): Transform {
  let d: ZstdDecompress | undefined;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        d ??= new ZstdDecompress((out) => { this.push(Buffer.from(out.buffer, out.byteOffset, out.byteLength)); });
        d.push(chunk);
        cb();
      } catch (e) { cb(e as Error); }
    },
    flush(cb) {
      try { d?.push(new Uint8Array(0), true); cb(); } catch (e) { cb(e as Error); }
    },
  });
}

/** the decoded bytes of a stream; corrupt input surfaces as an error of the returned stream */
export function decoded(body: Readable, c: Compression): Readable {
  if (c === 'none') return body;
  const out = new PassThrough();
  // unbzip2-stream is a classic through-stream, so every decoder is bridged the same way
  const d: NodeJS.ReadWriteStream = c === 'gzip' ? createGunzip() : c === 'zstd' ? zstdStream() : c === 'bzip2' ? unbzip2() : (lzma.createDecompressor() as unknown as NodeJS.ReadWriteStream);
  const fail = (e: Error) => out.destroy(e);
  body.on('error', fail);
  d.on('error', fail);
  body.pipe(d).pipe(out);
  return out;
}
