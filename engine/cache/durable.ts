// The file operations of a durable commit, synchronous: they run on the commit thread (commit-thread.ts),
// never on the thread that serves requests.
import { openSync, writevSync, closeSync, renameSync, mkdirSync, unlinkSync, fsyncSync, fdatasyncSync, statSync, chmodSync } from 'node:fs';

/** creates `dir` (and its parents) unless already known to exist */
export function ensureDir(dir: string, known: Set<string>): void {
  if (known.has(dir)) return;
  mkdirSync(dir, { recursive: true });
  known.add(dir);
}

/** renames into `dir`, creating the directory if it does not exist (or went away) */
export function renameInto(from: string, to: string, dir: string, known: Set<string>): void {
  try {
    renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    known.delete(dir);
    ensureDir(dir, known);
    renameSync(from, to);
  }
}

/** writes `bufs` to the new file `path` with `mode` and makes the bytes durable; a failed write leaves no file */
export function writeSynced(path: string, bufs: Buffer[], mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    let rest = bufs.filter((b) => b.length);
    while (rest.length) {
      let n = writevSync(fd, rest);
      if (n === 0) throw new Error('the file takes no more bytes');
      const next: Buffer[] = [];
      for (const b of rest) { if (n >= b.length) { n -= b.length; continue; } next.push(n ? b.subarray(n) : b); n = 0; }
      rest = next;
    }
    fdatasyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(path); } catch { /* already gone */ }
    throw e;
  }
  closeSync(fd);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

export function exists(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}

export function sizeOf(path: string): number {
  return statSync(path).size;
}

export { chmodSync, unlinkSync };
