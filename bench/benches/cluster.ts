// Scale-out on one machine (so overhead, not scale): 3 cluster nodes against 1 node, each cluster with its own
// Redis for leases, in two layouts: each node on its own disk, and all three on one shared s3rver bucket.
// (a) warm hits: 3 wrk processes (21 connections each) on a warm set of objects, all aimed at one node or one per
//     node; req/s, CPU of the nodes per request, share of requests answered from another node.
// (b) cold storm: 60 clients on one cold 64 MiB object from an origin throttled to 16 MiB/s, all on one
//     stand-alone node or spread over the 3 nodes; upstream GETs, slowest client against a lone transfer
//     straight from the origin, wall time, CPU of the nodes.
import { randomBytes, createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, startProxy, httpGet, tmpDir, type FixtureServer, type ProxyHandle, type GetResult } from '../../conformance/index.js';
import { startRedis } from '../../conformance/harness/redis.js';
import { startS3rver, type S3rverHandle } from '../../conformance/harness/s3rver.js';
import { startNodes, nodeConfig, clusterStatus } from '../../conformance/harness/cluster.js';
import { metricValue } from '../../conformance/harness/single-instance.js';
import { wrk, median, type WrkResult } from '../load.js';
import { cpuSecondsOf, ratio, MiB, type Row } from '../common.js';

const OBJECTS = 30, OBJECT_SIZE = 16 * 1024, WRK_PROCS = 3, CONNS_EACH = 21, SECONDS = 4, HIT_ROUNDS = 3;
const CLIENTS = 60, STORM_SIZE = 64 * MiB, RATE = 16 * MiB, STORM_ROUNDS = 2, STORM_TIMEOUT_MS = 120_000;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`  ${s}\n`);

interface Layout { name: string; nodes: ProxyHandle[]; clustered: boolean; /** processes whose CPU is reported beside the nodes' */ others: { name: string; pid: number }[] }

async function forwardedTotal(l: Layout): Promise<number> {
  if (!l.clustered) return 0;
  return (await Promise.all(l.nodes.map(clusterStatus))).reduce((n, s) => n + s.forwarded, 0);
}
/** client requests a node answered with another node's response (it labels them BYPASS; it stores nothing) */
async function viaPeerTotal(l: Layout): Promise<number> {
  return (await Promise.all(l.nodes.map((n) => metricValue(n.url, 'cache_proxy_requests_total', { cache: 'BYPASS' })))).reduce((a, b) => a + b, 0);
}
const cpuOf = (pids: number[]) => pids.reduce((n, p) => n + cpuSecondsOf(p), 0);

async function healthy(nodes: ProxyHandle[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = await Promise.all(nodes.map(clusterStatus));
    if (s.every((x) => x.healthy.length === nodes.length && x.redis.state === 'ready')) return;
    if (Date.now() > deadline) throw new Error(`cluster not healthy in 60 s: ${JSON.stringify(s)}`);
    await sleep(200);
  }
}

// ---- (a) warm hits

interface HitRun { rps: number; requests: number; errors: number; timeouts: number; nodeCpuUs: number; otherCpuUs: number; /** hops sent (one per flight: concurrent requests for a key join it) per request */ forwardedShare: number; /** requests answered from another node */ viaPeerShare: number }

/** every object through every node twice, checked; the X-Cache each node then answers to a HEAD (never forwarded: on
 * own disks a node that does not own the key answers MISS, from an upstream HEAD) */
async function warm(l: Layout, objects: { path: string; data: Buffer }[]): Promise<string> {
  for (const n of l.nodes) for (const o of objects) for (let i = 0; i < 2; i++) {
    const r = await httpGet(`${n.url}/files${o.path}`);
    if (r.status !== 200 || r.sha256 !== sha(o.data)) throw new Error(`${l.name}: warm-up of ${o.path} through ${n.url}: ${r.status}, ${r.size} bytes, ${r.sha256 === sha(o.data) ? 'right' : 'WRONG'} body`);
  }
  const labels: string[] = [];
  for (const n of l.nodes) {
    const seen: Record<string, number> = {};
    for (const o of objects) { const h = String((await httpGet(`${n.url}/files${o.path}`, { method: 'HEAD' })).headers['x-cache']); seen[h] = (seen[h] ?? 0) + 1; }
    labels.push(Object.entries(seen).map(([k, v]) => `${k} ${v}`).join(', '));
  }
  return labels.join(' / ');
}

async function hitRun(l: Layout, targets: ProxyHandle[], script: string, seconds: number): Promise<HitRun> {
  const pids = l.nodes.map((n) => n.pid), others = l.others.map((o) => o.pid);
  const f0 = await forwardedTotal(l), v0 = await viaPeerTotal(l), c0 = cpuOf(pids), o0 = cpuOf(others);
  const rs: WrkResult[] = await Promise.all(targets.map((t) => wrk(`${t.url}/`, { connections: CONNS_EACH, seconds, script })));
  const c1 = cpuOf(pids), o1 = cpuOf(others), f1 = await forwardedTotal(l), v1 = await viaPeerTotal(l);
  const requests = rs.reduce((n, r) => n + r.requests, 0);
  return {
    rps: rs.reduce((n, r) => n + r.rps, 0), requests, errors: rs.reduce((n, r) => n + r.errors, 0), timeouts: rs.reduce((n, r) => n + r.timeouts, 0),
    nodeCpuUs: ((c1 - c0) * 1e6) / Math.max(1, requests), otherCpuUs: ((o1 - o0) * 1e6) / Math.max(1, requests),
    forwardedShare: (f1 - f0) / Math.max(1, requests), viaPeerShare: (v1 - v0) / Math.max(1, requests),
  };
}

// ---- (b) cold storm

interface StormRun { slowest: number; first: number; wall: number; gets: number; ok: number; wrong: number; failed: string[]; nodeCpu: number; otherCpu: number; forwarded: number; lone: number }

async function storm(l: Layout, targets: ProxyHandle[], origin: FixtureServer, tag: string): Promise<StormRun> {
  const lone = randomBytes(STORM_SIZE), data = randomBytes(STORM_SIZE);
  origin.set(`/lone-${tag}.bin`, { body: lone });
  origin.set(`/storm-${tag}.bin`, { body: data });
  origin.fault(`/lone-${tag}.bin`, { rate: RATE });
  origin.fault(`/storm-${tag}.bin`, { rate: RATE });
  const l0 = await httpGet(`${origin.url}/lone-${tag}.bin`, { discardBody: true, expect: lone });
  if (!l0.matches) throw new Error('the lone transfer straight from the origin is wrong');
  const pids = l.nodes.map((n) => n.pid), others = l.others.map((o) => o.pid);
  const f0 = await forwardedTotal(l), c0 = cpuOf(pids), o0 = cpuOf(others);
  const perNode0 = l.clustered ? (await Promise.all(targets.map(clusterStatus))).map((x) => x.forwarded) : [];
  const logAt = targets.map((t) => t.logs().length);
  const t0 = performance.now();
  const timeout = (): Promise<'timeout'> => new Promise((r) => setTimeout(() => r('timeout'), STORM_TIMEOUT_MS).unref());
  const rs = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => Promise.race([
    httpGet(`${targets[i % targets.length]!.url}/files/storm-${tag}.bin`, { discardBody: true, expect: data }).catch((e: Error) => e),
    timeout(),
  ])));
  const wall = performance.now() - t0;
  const c1 = cpuOf(pids), o1 = cpuOf(others), f1 = await forwardedTotal(l);
  const done = rs.filter((r): r is GetResult => typeof r === 'object' && !(r instanceof Error));
  const failed = rs.map((r, i) => {
    const node = `node ${i % targets.length}`;
    if (r === 'timeout') return `${node}: no answer in ${STORM_TIMEOUT_MS / 1000} s`;
    if (r instanceof Error) return `${node}: ${r.message}`;
    if (r.status !== 200 || r.aborted) return `${node}: status ${r.status}, ${r.size} bytes${r.aborted ? ', cut' : ''}, ${r.firstByteMs < 0 ? 'no byte at all' : `first byte ${r.firstByteMs.toFixed(0)} ms`}, closed after ${r.totalMs.toFixed(0)} ms`;
    return '';
  }).filter(Boolean);
  if (failed.length) {
    // which node owned the key (the one that forwarded nothing), and what every node logged meanwhile
    const perNode = l.clustered ? (await Promise.all(targets.map(clusterStatus))).map((x, i) => x.forwarded - perNode0[i]!) : [];
    if (perNode.length) failed.push(`hops per node ${perNode.join('/')}`);
    for (const [i, t] of targets.entries()) {
      const said = t.logs().slice(logAt[i]).trim().split('\n').filter(Boolean).slice(-8);
      if (said.length) failed.push(`node ${i} logged: ${said.join(' ⏎ ')}`);
    }
  }
  origin.set(`/lone-${tag}.bin`, { body: Buffer.alloc(0) });
  origin.set(`/storm-${tag}.bin`, { body: Buffer.alloc(0) });
  return {
    slowest: Math.max(...done.map((r) => r.totalMs)), first: Math.max(...done.map((r) => r.firstByteMs)), wall,
    gets: origin.count('GET', `/storm-${tag}.bin`), ok: done.filter((r) => r.status === 200 && r.matches).length,
    wrong: done.filter((r) => r.status === 200 && !r.aborted && r.size === STORM_SIZE && !r.matches).length,
    failed, nodeCpu: c1 - c0, otherCpu: o1 - o0, forwarded: f1 - f0, lone: l0.totalMs,
  };
}

export async function clusterBench(): Promise<Row[]> {
  const origin = await startFixtureServer();
  const objects = Array.from({ length: OBJECTS }, (_, i) => ({ path: `/hot/${i}.bin`, data: randomBytes(OBJECT_SIZE) }));
  for (const o of objects) origin.set(o.path, { body: o.data });

  const s3: S3rverHandle = await startS3rver();
  const [redisDisk, redisS3] = [await startRedis(), await startRedis()];
  const single = await startProxy({ config: nodeConfig({ origin: origin.url }), args: ['--no-supervisor'] });
  const disk = await startNodes(3, { origin: origin.url, redis: redisDisk.url });
  const onS3 = await startNodes(3, { origin: origin.url, redis: redisS3.url, s3: { server: s3, prefix: 'bench' } });
  await healthy(disk);
  await healthy(onS3);
  const layouts = {
    single: { name: '1 node, own disk, no cluster block', nodes: [single], clustered: false, others: [] } as Layout,
    disk: { name: '3 nodes, each on its own disk', nodes: disk, clustered: true, others: [{ name: 'redis', pid: redisDisk.proc.pid! }] } as Layout,
    s3: { name: '3 nodes on one s3rver bucket', nodes: onS3, clustered: true, others: [{ name: 's3rver', pid: s3.pid }, { name: 'redis', pid: redisS3.proc.pid! }] } as Layout,
  };

  // (a)
  const script = join(tmpDir('bench-lua-'), 'hot.lua');
  writeFileSync(script, `local i = 0\nrequest = function() i = (i + 1) % ${OBJECTS}; return wrk.format("GET", "/files/hot/" .. i .. ".bin") end\n`);
  const warmState: Record<string, string> = {};
  for (const [k, l] of Object.entries(layouts)) { warmState[k] = await warm(l, objects); log(`warm state ${l.name} (HEAD X-Cache per node): ${warmState[k]}`); }
  const variants: { key: string; label: string; layout: Layout; targets: ProxyHandle[] }[] = [
    { key: 'single', label: '1 node (no cluster)', layout: layouts.single, targets: [single, single, single] },
    { key: 'disk-one', label: 'disk cluster, all load on node 0', layout: layouts.disk, targets: [disk[0]!, disk[0]!, disk[0]!] },
    { key: 'disk-spread', label: 'disk cluster, spread over 3 nodes', layout: layouts.disk, targets: disk },
    { key: 's3-one', label: 's3 cluster, all load on node 0', layout: layouts.s3, targets: [onS3[0]!, onS3[0]!, onS3[0]!] },
    { key: 's3-spread', label: 's3 cluster, spread over 3 nodes', layout: layouts.s3, targets: onS3 },
  ];
  for (const v of variants) await hitRun(v.layout, v.targets, script, 1); // first sight of each record, JIT
  const seen: Record<string, HitRun[]> = Object.fromEntries(variants.map((v) => [v.key, []]));
  for (let round = 0; round < HIT_ROUNDS; round++) {
    for (const v of variants) {
      const r = await hitRun(v.layout, v.targets, script, SECONDS);
      seen[v.key]!.push(r);
      log(`hits ${v.label}: ${r.rps.toFixed(0)} req/s, ${r.requests} requests, ${r.errors} errors (${r.timeouts} over 2 s), node CPU ${r.nodeCpuUs.toFixed(0)} µs/req, other ${r.otherCpuUs.toFixed(0)} µs/req, hops ${(r.forwardedShare * 100).toFixed(1)} %, answered from another node ${(r.viaPeerShare * 100).toFixed(1)} %`);
    }
  }
  const med = (k: string, f: (r: HitRun) => number) => median(seen[k]!.map(f));
  const base = { rps: med('single', (r) => r.rps), cpu: med('single', (r) => r.nodeCpuUs) };
  const rows: Row[] = variants.map((v) => {
    const errors = seen[v.key]!.reduce((n, r) => n + r.errors, 0), timeouts = seen[v.key]!.reduce((n, r) => n + r.timeouts, 0);
    const other = v.layout.others.length ? `, ${v.layout.others.map((o) => o.name).join(' + ')} ${med(v.key, (r) => r.otherCpuUs).toFixed(0)} µs/req` : '';
    return {
      bench: `cluster warm hits ${OBJECTS}×16 KiB, ${WRK_PROCS}×${CONNS_EACH} conns: ${v.label}`,
      ours: `${med(v.key, (r) => r.rps).toFixed(0)} req/s, node CPU ${med(v.key, (r) => r.nodeCpuUs).toFixed(0)} µs/req${other}, answered from another node ${(med(v.key, (r) => r.viaPeerShare) * 100).toFixed(1)} % (hops ${(med(v.key, (r) => r.forwardedShare) * 100).toFixed(1)} %), ${errors} errors in ${HIT_ROUNDS} runs (${timeouts} of them no answer in 2 s)`,
      reference: v.key === 'single' ? 'the baseline' : `1 node: ${base.rps.toFixed(0)} req/s, ${base.cpu.toFixed(0)} µs/req`,
      ratio: v.key === 'single' ? '—' : ratio(med(v.key, (r) => r.rps), base.rps),
      goal: v.layout.clustered ? 'forwarded 0 % when every node has the object; 0 errors' : '0 errors',
    };
  });

  // (b)
  const stormVariants: { key: string; label: string; layout: Layout; targets: ProxyHandle[] }[] = [
    { key: 'single', label: 'all on 1 node (no cluster)', layout: layouts.single, targets: [single] },
    { key: 'disk', label: 'spread over 3 nodes (own disks)', layout: layouts.disk, targets: disk },
    { key: 's3', label: 'spread over 3 nodes (one s3rver bucket)', layout: layouts.s3, targets: onS3 },
  ];
  const storms: Record<string, StormRun[]> = Object.fromEntries(stormVariants.map((v) => [v.key, []]));
  for (let round = 0; round < STORM_ROUNDS; round++) {
    for (const v of stormVariants) {
      const r = await storm(v.layout, v.targets, origin, `${v.key}-${round}`);
      storms[v.key]!.push(r);
      log(`storm ${v.label}: ${r.gets} upstream GET, ${r.ok}/${CLIENTS} right, ${r.wrong} wrong, slowest ${r.slowest.toFixed(0)} ms (lone ${r.lone.toFixed(0)} ms, ${ratio(r.slowest, r.lone)}), first byte ≤ ${r.first.toFixed(0)} ms, wall ${r.wall.toFixed(0)} ms, node CPU ${r.nodeCpu.toFixed(2)} s, other ${r.otherCpu.toFixed(2)} s, forwarded ${r.forwarded}${r.failed.length ? `; FAILED: ${r.failed.join('; ')}` : ''}`);
    }
  }
  for (const v of stormVariants) {
    const rs = storms[v.key]!;
    const m = (f: (r: StormRun) => number) => median(rs.map(f));
    const slowestRatio = m((r) => r.slowest / r.lone);
    const other = v.layout.others.length ? ` (+ ${v.layout.others.map((o) => o.name).join(' + ')} ${m((r) => r.otherCpu).toFixed(2)} s)` : '';
    rows.push({
      bench: `cluster cold storm ${CLIENTS}×64 MiB @16 MiB/s: ${v.label}`,
      ours: `upstream GETs ${rs.map((r) => r.gets).join('/')}, ${rs.map((r) => r.ok).join('/')} of ${CLIENTS} right, ${rs.reduce((n, r) => n + r.wrong, 0)} wrong, ${rs.reduce((n, r) => n + CLIENTS - r.ok - r.wrong, 0)} failed; slowest ${m((r) => r.slowest).toFixed(0)} ms, first byte ≤ ${m((r) => r.first).toFixed(0)} ms, wall ${m((r) => r.wall).toFixed(0)} ms; node CPU ${m((r) => r.nodeCpu).toFixed(2)} s${other}; forwarded ${rs.map((r) => r.forwarded).join('/')}`,
      reference: `lone transfer straight from the origin ${m((r) => r.lone).toFixed(0)} ms`,
      ratio: `${slowestRatio.toFixed(2)}×`,
      goal: '1 upstream GET, every body right, ≤ 1.3× lone',
    });
  }

  for (const n of [...onS3, ...disk, single]) await n.stop().catch(() => 0);
  await s3.stop();
  for (const r of [redisDisk, redisS3]) r.proc.kill('SIGKILL');
  await origin.close();
  return rows;
}
