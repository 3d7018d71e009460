// wrk, 64 connections, warm 4 KiB and 64 KiB objects; nginx proxy_cache warmed the same way.
// Also reports CPU time per request of each server (less noisy than req/s on a shared machine).
import { randomBytes } from 'node:crypto';
import { wrk, alternate } from '../load.js';
import { warmPair, ratio, cpuSecondsOf, type Row } from '../common.js';

export async function smallHits(): Promise<Row[]> {
  const rows: Row[] = [];
  const env = await warmPair({ '/4k.bin': { body: randomBytes(4096) }, '/64k.bin': { body: randomBytes(65536) } });
  const perReq = (pidsOf: () => number[]) => async (url: string) => {
    const pids = pidsOf();
    const c0 = pids.reduce((n, p) => n + cpuSecondsOf(p), 0);
    const r = await wrk(url, { connections: 64, seconds: 4 });
    const c1 = pids.reduce((n, p) => n + cpuSecondsOf(p), 0);
    return { ...r, cpuUs: ((c1 - c0) * 1e6) / Math.max(1, r.requests) };
  };
  const oursRun = perReq(() => [env.proxy.pid]), theirsRun = perReq(() => env.nginx.pids());
  for (const p of ['/4k.bin', '/64k.bin']) {
    const rps = await alternate(3, () => oursRun(env.ours(p)), () => theirsRun(env.theirs(p)), (x) => x.rps);
    const cpu = await alternate(1, () => oursRun(env.ours(p)), () => theirsRun(env.theirs(p)), (x) => x.cpuUs);
    rows.push({
      bench: `small warm hits ${p.slice(1)} (64 conns)`,
      ours: `${rps.a.toFixed(0)} req/s, ${cpu.a.toFixed(0)} µs CPU/req`,
      reference: `nginx proxy_cache ${rps.b.toFixed(0)} req/s, ${cpu.b.toFixed(0)} µs CPU/req`,
      ratio: ratio(rps.a, rps.b), goal: '≥ 0.6×',
    });
  }
  await env.stop();
  return rows;
}
