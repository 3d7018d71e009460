// wrk, 64 connections, warm 4 KiB and 64 KiB objects; nginx proxy_cache warmed the same way. Beside them,
// the Node floor: a bare node:http server sending the same bytes and headers from memory (no cache logic).
// Also reports CPU time per request of each server (less noisy than req/s on a shared machine).
import { randomBytes } from 'node:crypto';
import { httpGet } from '../../conformance/index.js';
import { wrk, rotate } from '../load.js';
import { warmPair, ratio, cpuSecondsOf, type Row } from '../common.js';
import { startNodeFloor } from '../peers/node-floor.js';

export async function smallHits(): Promise<Row[]> {
  const rows: Row[] = [];
  const content = { '/4k.bin': { body: randomBytes(4096) }, '/64k.bin': { body: randomBytes(65536) } };
  const env = await warmPair(content);
  const floorBodies: Record<string, { body: Buffer; headers: Record<string, string> }> = {};
  for (const [p, c] of Object.entries(content)) {
    const head = await httpGet(env.ours(p), { method: 'HEAD' });
    const headers = Object.fromEntries(Object.entries(head.headers).filter(([k]) => !['date', 'connection', 'keep-alive', 'x-request-id', 'age'].includes(k)).map(([k, v]) => [k, String(v)]));
    floorBodies[p] = { body: c.body, headers };
  }
  const floor = await startNodeFloor(floorBodies);
  const perReq = (pidsOf: () => number[]) => async (url: string) => {
    const pids = pidsOf();
    const c0 = pids.reduce((n, p) => n + cpuSecondsOf(p), 0);
    const r = await wrk(url, { connections: 64, seconds: 4 });
    const c1 = pids.reduce((n, p) => n + cpuSecondsOf(p), 0);
    return { ...r, cpuUs: ((c1 - c0) * 1e6) / Math.max(1, r.requests) };
  };
  const oursRun = perReq(() => [...new Set([env.proxy.pid, env.proxy.supervisorPid])]), theirsRun = perReq(() => env.nginx.pids()), floorRun = perReq(() => floor.pids());
  for (const p of ['/4k.bin', '/64k.bin']) {
    // ours, nginx, floor, ours, nginx, floor, …: every ratio measured under the same conditions
    const runs = [() => oursRun(env.ours(p)), () => theirsRun(env.theirs(p)), () => floorRun(`${floor.url}${p}`)];
    const [rOurs, rNginx, rFloor] = await rotate(3, runs, (x) => x.rps) as [number, number, number];
    const [cOurs, cNginx, cFloor] = await rotate(1, runs, (x) => x.cpuUs) as [number, number, number];
    rows.push({
      bench: `small warm hits ${p.slice(1)} (64 conns)`,
      ours: `${rOurs.toFixed(0)} req/s, ${cOurs.toFixed(0)} µs CPU/req`,
      reference: `nginx proxy_cache ${rNginx.toFixed(0)} req/s, ${cNginx.toFixed(0)} µs CPU/req; bare node:http floor ${rFloor.toFixed(0)} req/s (${ratio(rFloor, rNginx)} nginx), ${cFloor.toFixed(0)} µs CPU/req`,
      ratio: ratio(rOurs, rNginx), goal: '≥ 0.6×',
    });
  }
  await floor.stop();
  await env.stop();
  return rows;
}
