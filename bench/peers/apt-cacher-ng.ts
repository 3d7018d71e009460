// apt-cacher-ng (the Debian package) on loopback in front of one origin, with a private config and cache
// (recipes section C). Never run `apt-cacher-ng --version`: it ignores the flag and starts a daemon with
// the system config.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { ensureDebianPackage, type Peer } from './nginx.js';

/** apt-cacher-ng 3.7 handles no port ≥ 32768, neither to listen ("Error resolving address for binding") nor upstream (503): pick a free one below */
export async function lowFreePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise<boolean>((r) => { const s = createServer(); s.once('error', () => r(false)); s.listen(port, '127.0.0.1', () => s.close(() => r(true))); });
    if (free) return port;
  }
}

/** clients use `<url>/fx/...` for `<origin>/...` */
export async function startAptCacherNg(origin: string): Promise<Peer> {
  ensureDebianPackage('apt-cacher-ng', 'apt-cacher-ng');
  const d = mkdtempSync(join(tmpdir(), 'bench-acng-'));
  for (const sub of ['conf', 'cache', 'log']) mkdirSync(join(d, sub));
  spawnSync('chown', ['-R', 'apt-cacher-ng:apt-cacher-ng', join(d, 'cache'), join(d, 'log')]);
  const port = await lowFreePort();
  writeFileSync(join(d, 'conf', 'acng.conf'), [
    `CacheDir: ${d}/cache`, `LogDir: ${d}/log`, 'SupportDir: /usr/lib/apt-cacher-ng', `Port: ${port}`, 'BindAddress: 127.0.0.1',
    `Remap-fx: /fx ; ${origin}/`, `PidFile: ${d}/acng.pid`, `SocketPath: ${d}/acng.sock`, 'ForeGround: 1', '',
  ].join('\n'));
  const p = spawn('apt-cacher-ng', ['-c', join(d, 'conf')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${port}/acng-report.html`).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}/fx`,
    pids: () => [p.pid!],
    stop: async () => {
      p.kill('SIGTERM');
      await new Promise((r) => (p.exitCode !== null ? r(undefined) : p.once('exit', r)));
      if (existsSync(d)) rmSync(d, { recursive: true, force: true });
    },
  };
}
