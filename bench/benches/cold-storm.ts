// 100 curl clients on one cold 200 MiB object from an origin throttled to 50 MiB/s; nginx with
// proxy_cache_lock on beside it. Reference: one lone transfer straight from the origin.
import { randomBytes } from 'node:crypto';
import { startFixtureServer, startProxy, httpGet, fileConfig } from '../../conformance/index.js';
import { startNginxCache } from '../peers/nginx.js';
import { curlTime, ratio, MiB, type Row } from '../common.js';

const CLIENTS = 100, SIZE = 200 * MiB, RATE = 50 * MiB;

async function storm(url: string): Promise<{ slowest: number; first: number; complete: number }> {
  const rs = await Promise.all(Array.from({ length: CLIENTS }, () => curlTime(url)));
  return { slowest: Math.max(...rs.map((r) => r.total)), first: Math.max(...rs.map((r) => r.first)), complete: rs.filter((r) => r.bytes === SIZE).length };
}

export async function coldStorm(): Promise<Row[]> {
  const data = randomBytes(SIZE);
  const origin = async () => { const up = await startFixtureServer(); up.set('/big.bin', { body: data }); up.fault('/big.bin', { rate: RATE }); return up; };

  const upA = await origin();
  const lone = await curlTime(`${upA.url}/big.bin`);
  const proxy = await startProxy({ config: fileConfig({ upstreams: [upA.url], file: '      default_policy: immutable\n' }) });
  const ours = await storm(`${proxy.url}/files/big.bin`);
  const check = await httpGet(`${proxy.url}/files/big.bin`, { discardBody: true, expect: data });
  const oursGets = upA.count('GET', '/big.bin') - 1;
  await proxy.stop(); await upA.close();

  const upB = await origin();
  const nginx = await startNginxCache(upB.url, { lock: true });
  const theirs = await storm(`${nginx.url}/big.bin`);
  const nginxGets = upB.count('GET', '/big.bin');
  await nginx.stop(); await upB.close();

  return [{
    bench: `cold storm ${CLIENTS}×200 MiB @50 MiB/s (curl)`,
    ours: `slowest ${ours.slowest.toFixed(0)} ms (${ratio(ours.slowest, lone.total)} lone), first byte ≤ ${ours.first.toFixed(0)} ms, ${oursGets} upstream GET, ${ours.complete}/${CLIENTS} complete, bytes ${check.matches ? 'identical' : 'DIFFER'}`,
    reference: `lone transfer ${lone.total.toFixed(0)} ms; nginx proxy_cache_lock: slowest ${theirs.slowest.toFixed(0)} ms (${ratio(theirs.slowest, lone.total)}), first byte ≤ ${theirs.first.toFixed(0)} ms, ${nginxGets} upstream GET`,
    ratio: ratio(ours.slowest, lone.total),
    goal: '≤ 1.1× lone, first byte < 1 s, 1 GET',
  }];
}
