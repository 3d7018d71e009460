// A throwaway redis-server on 127.0.0.1 (Debian's package): no persistence, killed with the other test servers.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './launcher.js';
import { track } from './cleanup.js';

export interface RedisHandle { proc: ChildProcess; port: number; url: string }

export async function startRedis(): Promise<RedisHandle> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const failed = new Promise<never>((_, rej) => { proc.once('error', rej); proc.once('exit', (code) => rej(new Error(`redis-server exited with ${code}: ${out}`))); });
  failed.catch(() => undefined);
  // a SIGSTOPped server must be continued before it can die
  track(() => { proc.kill('SIGCONT'); proc.kill('SIGKILL'); }, () => { try { proc.kill('SIGKILL'); } catch { /* gone */ } });
  const deadline = Date.now() + 20_000;
  while (!/Ready to accept connections/.test(out)) {
    if (Date.now() > deadline) throw new Error(`redis-server not ready: ${out}`);
    await Promise.race([new Promise((r) => setTimeout(r, 50)), failed]);
  }
  return { proc, port, url: `redis://127.0.0.1:${port}` };
}
