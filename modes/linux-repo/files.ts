// Durable small files under the mode's private directory: temp + fsync + rename + directory fsync.
import { open, rename, mkdir, unlink, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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

export async function readJson<T>(path: string): Promise<T | null> {
  try { return JSON.parse(await readFile(path, 'utf8')) as T; } catch { return null; }
}

/** a fresh temp path in a directory on the same filesystem as its final place */
export const tempIn = (dir: string) => join(dir, `${randomBytes(12).toString('hex')}.part`);
