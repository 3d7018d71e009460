// What every benchmark shares: the result row, curl timing, process memory, warm pairs of caches.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startFixtureServer, startProxy, httpGet, fileConfig, type FixtureServer, type ProxyHandle, type Content } from '../conformance/index.js';
import { startNginxCache, type Peer } from './peers/nginx.js';

export interface Row { bench: string; ours: string; reference: string; ratio: string; goal: string }
export const MiB = 1024 * 1024;

export function curlTime(url: string): Promise<{ total: number; first: number; bytes: number }> {
  return new Promise((resolve) => {
    const p = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{time_starttransfer} %{time_total} %{size_download}', url]);
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('close', () => { const [f, t, n] = out.split(' ').map(Number); resolve({ first: f! * 1000, total: t! * 1000, bytes: n! }); });
  });
}

/** peak resident set (VmHWM) and current RSS of a process, MiB */
export function memoryOf(pid: number): { peakMiB: number; rssMiB: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0);
  return { peakMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
}

/** CPU seconds (user + system) a process has used so far */
export function cpuSecondsOf(pid: number): number {
  let stat: string;
  try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return 0; } // a helper process that has exited (nginx's cache loader)
  const f = stat.split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

export interface Pair { up: FixtureServer; proxy: ProxyHandle; nginx: Peer; ours(p: string): string; theirs(p: string): string; stop(): Promise<void> }

/** our proxy and nginx proxy_cache in front of one origin, both warmed the same way (two GETs per path) */
export async function warmPair(content: Record<string, Content>): Promise<Pair> {
  const up = await startFixtureServer();
  for (const [p, c] of Object.entries(content)) up.set(p, c);
  const proxy = await startProxy({ config: fileConfig({ upstreams: [up.url], file: '      default_policy: immutable\n' }) });
  const nginx = await startNginxCache(up.url);
  const ours = (p: string) => `${proxy.url}/files${p}`;
  const theirs = (p: string) => `${nginx.url}${p}`;
  for (const p of Object.keys(content)) {
    for (let i = 0; i < 2; i++) { await httpGet(ours(p), { discardBody: true }); await httpGet(theirs(p), { discardBody: true }); }
    const a = await httpGet(ours(p), { method: 'HEAD' }), b = await httpGet(theirs(p), { method: 'HEAD' });
    if (a.headers['x-cache'] !== 'HIT' || b.headers['x-cache'] !== 'HIT') throw new Error(`warm-up failed for ${p}: ours ${a.headers['x-cache']}, nginx ${b.headers['x-cache']}`);
  }
  return { up, proxy, nginx, ours, theirs, stop: async () => { await proxy.stop(); await nginx.stop(); await up.close(); } };
}
