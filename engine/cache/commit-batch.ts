// One batch of commits, run synchronously on the commit thread: every file is written, synced and renamed
// first, then each directory that received a rename is fsynced once for the whole batch (a group commit).
import { dirname } from 'node:path';
import { ensureDir, renameInto, writeSynced, fsyncDir, exists, sizeOf, chmodSync, unlinkSync } from './durable.js';

export type CommitJob =
  /** a verified body becomes a read-only blob: `temp` already holds it, or `data` is written to `temp` first */
  | { op: 'blob'; temp: string; target: string; data?: Uint8Array[] }
  /** a small document replaces `target` atomically */
  | { op: 'write'; temp: string; target: string; data: string | Uint8Array }
  /** makes earlier renames and removals in `dir` durable */
  | { op: 'syncdir'; dir: string };

export type CommitReply = { ok: true; existed?: boolean; size?: number } | { ok: false; code?: string; message: string };

// buffers arrive from the other thread as plain Uint8Arrays
const asBuffer = (d: Uint8Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
const removeQuietly = (p: string) => { try { unlinkSync(p); } catch { /* already gone */ } };

export function runBatch(jobs: CommitJob[], knownDirs: Set<string>): CommitReply[] {
  const replies: CommitReply[] = [];
  const dirs = new Map<string, number[]>();
  const syncLater = (dir: string, i: number) => { const l = dirs.get(dir); if (l) l.push(i); else dirs.set(dir, [i]); };
  jobs.forEach((job, i) => {
    try {
      if (job.op === 'syncdir') { replies[i] = { ok: true }; syncLater(job.dir, i); return; }
      const dir = dirname(job.target);
      if (job.op === 'blob') {
        if (exists(job.target)) { if (!job.data) removeQuietly(job.temp); replies[i] = { ok: true, existed: true }; return; }
        if (job.data) writeSynced(job.temp, job.data.map(asBuffer), 0o444); else chmodSync(job.temp, 0o444);
        const size = sizeOf(job.temp);
        ensureDir(dir, knownDirs);
        renameInto(job.temp, job.target, dir, knownDirs);
        replies[i] = { ok: true, size };
      } else {
        writeSynced(job.temp, [typeof job.data === 'string' ? Buffer.from(job.data) : asBuffer(job.data)], 0o644);
        try { renameInto(job.temp, job.target, dir, knownDirs); } catch (e) { removeQuietly(job.temp); throw e; }
        replies[i] = { ok: true };
      }
      syncLater(dir, i);
    } catch (e) {
      replies[i] = { ok: false, code: (e as NodeJS.ErrnoException).code, message: (e as Error).message };
    }
  });
  for (const [dir, waiting] of dirs) {
    try { fsyncDir(dir); } catch (e) {
      for (const i of waiting) replies[i] = { ok: false, code: (e as NodeJS.ErrnoException).code, message: (e as Error).message };
    }
  }
  return replies;
}
