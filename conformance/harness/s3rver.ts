// An S3-compatible server for tests: s3rver in a child process on 127.0.0.1, port 0, with its data in a temp
// directory. `pause`/`resume` SIGSTOP/SIGCONT it (an outage that keeps connections open, like a hung server).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpDir } from './launcher.js';
import { track } from './cleanup.js';

export interface S3rverHandle {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  pid: number;
  /** s3rver's credentials (it accepts any signature made with them) */
  accessKeyId: string;
  secretAccessKey: string;
  /** the data directory: <dir>/<bucket>/<key>._S3rver_object holds an object's bytes */
  dir: string;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 's3rver-child.js');

export async function startS3rver(o: { buckets?: string[] } = {}): Promise<S3rverHandle> {
  const dir = tmpDir('s3rver-');
  const child: ChildProcess = spawn(process.execPath, [CHILD, dir, ...(o.buckets ?? ['cache'])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`s3rver did not start in 30 s: ${err}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) { clearTimeout(t); resolve((JSON.parse(line) as { port: number }).port); }
    });
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`s3rver exited with ${code}: ${err}`)); });
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  };
  track(stop, () => { if (!stopped) { child.kill('SIGCONT'); child.kill('SIGKILL'); } });
  return {
    endpoint: `http://127.0.0.1:${port}`, port, pid: child.pid!, dir,
    accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER',
    pause: () => { child.kill('SIGSTOP'); },
    resume: () => { child.kill('SIGCONT'); },
    stop,
  };
}
