// Load generation with wrk, and A/B alternation with medians.
import { spawn } from 'node:child_process';
import { ensureDebianPackage } from './peers/nginx.js';

export async function wrk(url: string, o: { connections: number; seconds: number; threads?: number }): Promise<{ rps: number; mbps: number; p99ms: number }> {
  ensureDebianPackage('wrk', 'wrk');
  const out = await new Promise<string>((resolve) => {
    const p = spawn('wrk', ['--latency', '-t', String(o.threads ?? 1), '-c', String(o.connections), '-d', `${o.seconds}s`, url]);
    let s = '';
    p.stdout.on('data', (d) => { s += d; });
    p.on('close', () => resolve(s));
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const tr = /Transfer\/sec:\s+([\d.]+)(\w+)/.exec(out);
  const unit: Record<string, number> = { B: 1 / 1e6, KB: 1024 / 1e6, MB: 1024 ** 2 / 1e6, GB: 1024 ** 3 / 1e6 };
  const mbps = tr ? Number(tr[1]) * (unit[tr[2]!] ?? 1) : 0;
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : 0;
  return { rps, mbps, p99ms };
}

export const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };

/** run A and B alternately `rounds` times; medians of each */
export async function alternate<T>(rounds: number, a: () => Promise<T>, b: () => Promise<T>, pick: (t: T) => number): Promise<{ a: number; b: number }> {
  const as: number[] = [], bs: number[] = [];
  for (let i = 0; i < rounds; i++) { as.push(pick(await a())); bs.push(pick(await b())); }
  return { a: median(as), b: median(bs) };
}
