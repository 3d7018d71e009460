// The engine's own cold storms (§10.1: 100 × 50 MiB at 20 MiB/s; issue #2: 50 × 48 MiB at 32 MiB/s) with in-process
// clients: the slowest client against one lone transfer straight from the origin. The conformance storm test asserts
// order, counts and bytes only; the speed is measured here.
import { randomBytes } from 'node:crypto';
import { startFixtureServer, startProxy, httpGet, fileConfig } from '../../conformance/index.js';
import { ratio, MiB, type Row } from '../common.js';

async function one(clients: number, sizeMiB: number, rateMiB: number, goal: number): Promise<Row> {
  const up = await startFixtureServer();
  const data = randomBytes(sizeMiB * MiB);
  up.set('/big.bin', { body: data });
  up.fault('/big.bin', { rate: rateMiB * MiB });
  const t = performance.now();
  await httpGet(`${up.url}/big.bin`, { discardBody: true, expect: data });
  const lone = performance.now() - t;
  const proxy = await startProxy({ config: fileConfig({ upstreams: [up.url], file: '      default_policy: immutable\n      busy_policy: join\n' }) });
  const rs = await Promise.all(Array.from({ length: clients }, () => httpGet(`${proxy.url}/files/big.bin`, { discardBody: true, expect: data })));
  const slowest = Math.max(...rs.map((r) => r.totalMs));
  const first = Math.max(...rs.map((r) => r.firstByteMs));
  const gets = up.count('GET', '/big.bin') - 1;
  const identical = rs.filter((r) => r.matches).length;
  await proxy.stop(); await up.close();
  return {
    bench: `engine storm ${clients}×${sizeMiB} MiB @${rateMiB} MiB/s (in-process clients)`,
    ours: `slowest ${slowest.toFixed(0)} ms, first byte ≤ ${first.toFixed(0)} ms, ${gets} upstream GET, ${identical}/${clients} identical`,
    reference: `lone transfer ${lone.toFixed(0)} ms`,
    ratio: ratio(slowest, lone),
    goal: `≤ ${goal}× lone, 1 GET`,
  };
}

export async function engineStorm(): Promise<Row[]> {
  return [await one(100, 50, 20, 1.2), await one(50, 48, 32, 1.3)];
}
