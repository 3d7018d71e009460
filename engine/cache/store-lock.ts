// The exclusive lock of a store directory: a file holding the pid of the process using it (a dead pid's lock is
// taken over).
import { open, readFile, unlink } from 'node:fs/promises';

export class StoreError extends Error {
  constructor(public code: 'E_FORMAT' | 'E_LOCKED', message: string) { super(message); }
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** take the lock file `lockFile` for this process; `dir` names the locked directory in the error */
export async function acquireLock(lockFile: string, dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(lockFile, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw e;
      const pid = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && pidAlive(pid)) throw new StoreError('E_LOCKED', `${dir} is in use by process ${pid}`);
      await unlink(lockFile).catch(() => undefined);
    }
  }
}

/** remove the lock file if this process holds it */
export async function releaseLock(lockFile: string): Promise<void> {
  const pid = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
  if (pid === process.pid) await unlink(lockFile).catch(() => undefined);
}
