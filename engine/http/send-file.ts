// Streams a byte range of a stored file to a response through two reused buffers: no allocation per
// chunk (a large blob read through a fresh 256 KiB Buffer per chunk spends a third of its CPU in GC), at
// most two chunks in flight per response, each buffer reused only once the socket took its bytes.
import { open } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';

// big chunks cost fewer syscalls per byte (1 MiB: 3.4 GB/s to one client here, 256 KiB: 2.3 GB/s); the buffers
// of all responses in flight share one budget, so many clients get smaller chunks instead of more memory
const MAX_CHUNK = 1024 * 1024;
const MIN_CHUNK = 64 * 1024;
const BUFFER_BUDGET = 24 * 1024 * 1024;
let sending = 0;

/** a chunk size for one more response copying through two buffers; call release() when it is done */
export function takeChunkSize(): { size: number; release(): void } {
  sending++;
  let c = MAX_CHUNK;
  while (c > MIN_CHUNK && 2 * c * sending > BUFFER_BUDGET) c /= 2;
  let held = true;
  return { size: c, release: () => { if (held) { held = false; sending--; } } };
}

/** true once bytes [start, end] were handed to the socket; false if the client left or the file is short */
export async function sendFileRange(path: string, start: number, end: number, res: ServerResponse, onBytes: (n: number) => void): Promise<boolean> {
  const fh = await open(path, 'r');
  const budget = takeChunkSize();
  const size = Math.min(budget.size, end - start + 1);
  const bufs = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)];
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
    budget.release();
    res.off('close', onClose);
    await fh.close().catch(() => undefined);
  }
}
