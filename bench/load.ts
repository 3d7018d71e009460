// Load generation with wrk, and A/B alternation with medians.
import { spawn } from 'node:child_process';
import { ensureDebianPackage } from './peers/nginx.js';

export interface WrkResult { rps: number; mbps: number; p50ms: number; p99ms: number; requests: number; errors: number; /** of errors: requests with no answer within wrk's 2 s timeout */ timeouts: number }

const ms = (m: RegExpExecArray | null) => (m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : 0);

export async function wrk(url: string, o: { connections: number; seconds: number; threads?: number; script?: string }): Promise<WrkResult> {
  ensureDebianPackage('wrk', 'wrk');
  const args = ['--latency', '-t', String(o.threads ?? 1), '-c', String(o.connections), '-d', `${o.seconds}s`, ...(o.script ? ['-s', o.script] : []), url];
  const out = await new Promise<string>((resolve) => {
    const p = spawn('wrk', args);
    let s = '';
    p.stdout.on('data', (d) => { s += d; });
    p.on('close', () => resolve(s));
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const tr = /Transfer\/sec:\s+([\d.]+)(\w+)/.exec(out);
  const unit: Record<string, number> = { B: 1 / 1e6, KB: 1024 / 1e6, MB: 1024 ** 2 / 1e6, GB: 1024 ** 3 / 1e6 };
  const errs = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps, mbps: tr ? Number(tr[1]) * (unit[tr[2]!] ?? 1) : 0,
    p50ms: ms(/50%\s+([\d.]+)(us|ms|s)/.exec(out)), p99ms: ms(/99%\s+([\d.]+)(us|ms|s)/.exec(out)),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    errors: Number(errs?.[1] ?? 0) + (sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0),
    timeouts: Number(sock?.[4] ?? 0),
  };
}

export const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };

/** run every function in turn (A B C A B C …) `rounds` times; the median of each */
export async function rotate<T>(rounds: number, fns: (() => Promise<T>)[], pick: (t: T) => number): Promise<number[]> {
  const seen: number[][] = fns.map(() => []);
  for (let i = 0; i < rounds; i++) for (const [j, f] of fns.entries()) seen[j]!.push(pick(await f()));
  return seen.map(median);
}

/** run A and B alternately `rounds` times; medians of each */
export async function alternate<T>(rounds: number, a: () => Promise<T>, b: () => Promise<T>, pick: (t: T) => number): Promise<{ a: number; b: number }> {
  const as: number[] = [], bs: number[] = [];
  for (let i = 0; i < rounds; i++) { as.push(pick(await a())); bs.push(pick(await b())); }
  return { a: median(as), b: median(bs) };
}
