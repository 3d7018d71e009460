// Durable small files: temp + fsync + rename + directory fsync.
import { open, rename, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}

/** atomic replace: readers see the old or the new bytes, never a mix; a crash leaves only a *.tmp.* file */
export async function writeAtomic(target: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.tmp.${randomBytes(6).toString('hex')}`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally { await fh.close(); }
  try { await rename(tmp, target); } catch (e) { await unlink(tmp).catch(() => undefined); throw e; }
  await fsyncDir(dirname(target));
}
