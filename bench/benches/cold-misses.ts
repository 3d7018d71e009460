// Cold misses, where every request is a fill: small objects one after another and 16 at a time on keep-alive
// connections against nginx proxy_cache; a lone cold large transfer against the same transfer straight from the
// origin; 50 clients on a cold object against the same 50 on it once warm.
import { randomBytes } from 'node:crypto';
import { Agent, get } from 'node:http';
import { startFixtureServer, startProxy, fileConfig, type FixtureServer } from '../../conformance/index.js';
import { startNginxCache } from '../peers/nginx.js';
import { startNodeProxyFloor } from '../peers/node-floor.js';
import { median, alternate } from '../load.js';
import { curlTime, ratio, MiB, type Row } from '../common.js';

const config = (up: string) => fileConfig({ upstreams: [up], file: '      default_policy: immutable\n      busy_policy: join\n' });

/** one GET on a keep-alive agent: ms to the last byte */
function timedGet(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    get(url, { agent }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`${url}: ${res.statusCode}`))));
    }).on('error', reject);
  });
}

/** `count` cold objects over `conns` keep-alive connections: per-request ms and the wall time */
async function coldBatch(base: string, up: FixtureServer, prefix: string, count: number, conns: number, size: number): Promise<{ each: number[]; wall: number }> {
  for (let i = 0; i < count; i++) up.set(`/${prefix}-${i}.bin`, { body: randomBytes(size) });
  const agent = new Agent({ keepAlive: true, maxSockets: conns });
  const each: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: conns }, async () => { while (next < count) each.push(await timedGet(agent, `${base}/${prefix}-${next++}.bin`)); }));
  const wall = performance.now() - t0;
  agent.destroy();
  return { each, wall };
}

export async function coldMisses(): Promise<Row[]> {
  const up = await startFixtureServer();
  const proxy = await startProxy({ config: config(up.url) });
  const nginx = await startNginxCache(up.url);
  const floor = await startNodeProxyFloor(up.url);
  const ours = `${proxy.url}/files`, theirs = nginx.url;
  let round = 0;
  const rows: Row[] = [];
  for (const conns of [1, 16]) {
    const count = conns === 1 ? 200 : 400;
    await coldBatch(ours, up, `warm-o${conns}`, 20, conns, 4096); // connections and code paths warm
    await coldBatch(theirs, up, `warm-n${conns}`, 20, conns, 4096);
    await coldBatch(floor.url, up, `warm-f${conns}`, 20, conns, 4096);
    const a: number[] = [], b: number[] = [], c: number[] = [], wa: number[] = [], wb: number[] = [], wc: number[] = [];
    for (let r = 0; r < 5; r++) {
      const x = await coldBatch(ours, up, `o${round}`, count, conns, 4096);
      const y = await coldBatch(theirs, up, `n${round}`, count, conns, 4096);
      const z = await coldBatch(floor.url, up, `f${round++}`, count, conns, 4096);
      a.push(median(x.each)); b.push(median(y.each)); c.push(median(z.each));
      wa.push(count / (x.wall / 1000)); wb.push(count / (y.wall / 1000)); wc.push(count / (z.wall / 1000));
    }
    rows.push({
      bench: `cold small misses 4 KiB, ${conns === 1 ? 'sequential (1 keep-alive conn)' : '16 concurrent keep-alive conns'}`,
      ours: `median ${median(a).toFixed(2)} ms per miss, ${median(wa).toFixed(0)} misses/s`,
      reference: `nginx proxy_cache median ${median(b).toFixed(2)} ms, ${median(wb).toFixed(0)} misses/s; bare Node pass-through floor (node:http + undici, no cache) ${median(c).toFixed(2)} ms (${ratio(median(c), median(b))} nginx), ${median(wc).toFixed(0)} req/s`,
      ratio: ratio(median(a), median(b)), goal: '≤ 1.0× nginx (latency)',
    });
  }
  await nginx.stop();
  await floor.stop();
  await proxy.stop();
  await up.close();
  return rows;
}

export async function coldLarge(): Promise<Row[]> {
  const up = await startFixtureServer();
  const proxy = await startProxy({ config: config(up.url) });
  const floor = await startNodeProxyFloor(up.url);
  const rows: Row[] = [];
  let n = 0;
  for (const [size, rounds] of [[8 * MiB, 9], [96 * MiB, 5]] as const) {
    const data = randomBytes(size);
    up.set('/direct.bin', { body: data });
    const timed = async (url: string) => { const r = await curlTime(url); if (r.bytes !== size) throw new Error(`short read from ${url}`); return r.total; };
    await timed(`${up.url}/direct.bin`);
    await timed(`${floor.url}/direct.bin`);
    // ours, direct, floor in turn: every ratio measured under the same conditions
    const ours: number[] = [], direct: number[] = [], bare: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const p = `/cold-${n++}.bin`;
      up.set(p, { body: data });
      ours.push(await timed(`${proxy.url}/files${p}`));
      direct.push(await timed(`${up.url}/direct.bin`));
      bare.push(await timed(`${floor.url}/direct.bin`));
    }
    const a = median(ours), b = median(direct), c = median(bare);
    rows.push({
      bench: `lone cold transfer ${size / MiB} MiB (curl, unthrottled origin)`,
      ours: `${a.toFixed(0)} ms (${(size / 1e6 / (a / 1000)).toFixed(0)} MB/s)`,
      reference: `straight from the origin ${b.toFixed(0)} ms (${(size / 1e6 / (b / 1000)).toFixed(0)} MB/s); bare Node pass-through floor (node:http + undici, no cache) ${c.toFixed(0)} ms (${ratio(c, b)} direct)`,
      ratio: ratio(a, b), goal: '≤ 1.02× direct',
    });
  }
  await floor.stop();
  await proxy.stop();
  await up.close();
  return rows;
}

export async function coldWarmStorm(): Promise<Row[]> {
  const CLIENTS = 50, SIZE = 48 * MiB, RATE = 32 * MiB;
  const up = await startFixtureServer();
  const proxy = await startProxy({ config: config(up.url) });
  const data = randomBytes(SIZE);
  const storm = async (url: string) => {
    const rs = await Promise.all(Array.from({ length: CLIENTS }, () => curlTime(url)));
    if (rs.some((x) => x.bytes !== SIZE)) throw new Error('incomplete storm transfer');
    return Math.max(...rs.map((x) => x.total));
  };
  let n = 0;
  let path = '';
  const r = await alternate(3, () => {
    path = `/storm-${n++}.bin`;
    up.set(path, { body: data });
    up.fault(path, { rate: RATE });
    return storm(`${proxy.url}/files${path}`);
  }, () => storm(`${proxy.url}/files${path}`), (x) => x);
  const gets = up.count('GET', path);
  await proxy.stop();
  await up.close();
  return [{
    bench: `cold storm ${CLIENTS}×48 MiB @32 MiB/s vs the same storm warm (curl)`,
    ours: `cold: slowest client ${r.a.toFixed(0)} ms (lone transfer at that rate: ${(SIZE / RATE * 1000).toFixed(0)} ms), ${gets} upstream GET`,
    reference: `warm (same 50 curls on the stored object): slowest ${r.b.toFixed(0)} ms`,
    ratio: ratio(r.a, r.b), goal: '≤ 1.2× warm',
  }];
}
