// Bodies in memory: buffering small ones, and writing to a client at its own pace.
import type { Readable } from 'node:stream';
import type { ReadSink } from '../cache/fill.js';
import type { Reply } from './work.js';

export async function readSmall(body: Readable, max = 64 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of body as AsyncIterable<Buffer>) {
      if (n < max) parts.push(c.subarray(0, max - n));
      n += c.length;
    }
  } catch { /* a short error body is fine */ }
  return Buffer.concat(parts);
}

export function sinkFor(r: Reply): ReadSink {
  const res = r.res;
  const drained = (ok: boolean): Promise<void> => {
    if (ok) return Promise.resolve();
    return new Promise((r) => {
      const done = () => { res.off('drain', done); res.off('close', done); r(); };
      res.on('drain', done); res.on('close', done);
    });
  };
  return {
    closed: () => res.destroyed || res.writableEnded,
    write: (buf) => {
      if (r.firstByteAt === undefined) r.firstByteAt = performance.now();
      r.bytes += buf.length;
      return drained(res.write(buf));
    },
    flush: (bufs) => {
      if (r.firstByteAt === undefined) r.firstByteAt = performance.now();
      return new Promise<void>((resolve) => {
        const done = () => { res.off('close', done); resolve(); };
        res.once('close', done);
        res.cork();
        for (let i = 0; i < bufs.length; i++) { r.bytes += bufs[i]!.length; res.write(bufs[i], i === bufs.length - 1 ? done : undefined); }
        res.uncork();
      });
    },
  };
}

export async function pipeTo(src: Readable | Buffer, sink: ReadSink): Promise<void> {
  if (Buffer.isBuffer(src)) return sink.write(src);
  for await (const c of src as AsyncIterable<Buffer>) await sink.write(c);
}

export async function streamToBuffer(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}
