// Streams a byte range of a stored file to a response through two reused buffers: no allocation per
// chunk (a large blob read through a fresh 256 KiB Buffer per chunk spends a third of its CPU in GC), at
// most two chunks in flight per response, each buffer reused only once the socket took its bytes.
import { open } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';

const CHUNK = 256 * 1024;

/** true once bytes [start, end] were handed to the socket; false if the client left or the file is short */
export async function sendFileRange(path: string, start: number, end: number, res: ServerResponse, onBytes: (n: number) => void): Promise<boolean> {
  const fh = await open(path, 'r');
  const bufs = [Buffer.allocUnsafeSlow(Math.min(CHUNK, end - start + 1)), Buffer.allocUnsafeSlow(Math.min(CHUNK, end - start + 1))];
  const inFlight: Promise<boolean>[] = [Promise.resolve(true), Promise.resolve(true)];
  let closed = false;
  const onClose = () => { closed = true; };
  res.once('close', onClose);
  try {
    for (let pos = start, i = 0; pos <= end; i ^= 1) {
      if (!(await inFlight[i]) || closed || res.destroyed) return false;
      const buf = bufs[i]!;
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos + 1), pos);
      if (bytesRead === 0) return false;
      pos += bytesRead;
      onBytes(bytesRead);
      inFlight[i] = new Promise<boolean>((resolve) => {
        const done = (err?: Error | null) => { res.off('close', gone); resolve(!err); };
        const gone = () => resolve(false);
        res.once('close', gone);
        res.write(buf.subarray(0, bytesRead), done);
      });
    }
    return (await Promise.all(inFlight)).every(Boolean);
  } finally {
    res.off('close', onClose);
    await fh.close().catch(() => undefined);
  }
}
