// Start-up time and hit latency with 1,000 and with 1,000,000 cached entries. The hot set is the same
// 1,000 objects in both cases, so the figure shows whether lookups stay O(1) as the store grows.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startFixtureServer, startProxy, httpGet, fileConfig, tmpDir, type ProxyHandle } from '../../conformance/index.js';
import { entryFile } from '../../engine/cache/fs-store.js';
import { wrk, type WrkResult } from '../load.js';
import { ratio, type Row } from '../common.js';

const HOT = 1000, MANY = 1_000_000;
const keyHashOf = (path: string) => createHash('sha256').update(`files\nfile/${path}`).digest('hex');

interface Start { readyMs: number; indexMs: number; from: string; entries: number }

/** launch on the existing backend: time until it answers, and until its entry index is complete */
async function start(proxy: ProxyHandle): Promise<Start> {
  const t0 = performance.now();
  await proxy.restart();
  const readyMs = performance.now() - t0;
  for (let i = 0; i < 6000; i++) {
    const m = /"msg":"index ready","entries":(\d+),"from":"(\w+)","ms":(\d+)/.exec(proxy.logs().split('"msg":"ready"').pop() ?? '');
    if (m) return { readyMs, entries: Number(m[1]), indexMs: Number(m[3]), from: m[2]! };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the entry index was not complete within 10 minutes');
}

async function hits(proxy: ProxyHandle, script: string): Promise<WrkResult> {
  await wrk(`${proxy.url}/`, { connections: 16, seconds: 2, script }); // first sight of each hot record
  const load = await wrk(`${proxy.url}/`, { connections: 16, seconds: 5, script });
  if (load.errors) throw new Error(`${load.errors} failed requests in the many-entries run`);
  return load;
}

/** clone one real record MANY times under new keys, all sharing its blob (as a big cache would look) */
function seed(backend: string, template: string, n: number): void {
  const base = JSON.parse(readFileSync(template, 'utf8')) as Record<string, unknown>;
  const dirs = new Set<string>();
  for (let i = 0; i < n; i++) {
    const path = `m${i}.bin`, keyHash = keyHashOf(path);
    const file = entryFile(backend, 'files', keyHash);
    const d = dirname(file);
    if (!dirs.has(d)) { mkdirSync(d, { recursive: true }); dirs.add(d); }
    writeFileSync(file, JSON.stringify({ ...base, key: `file/${path}`, keyHash }));
  }
}

export async function manyEntries(): Promise<Row[]> {
  const up = await startFixtureServer();
  const body = randomBytes(4096);
  for (let i = 0; i < HOT; i++) up.set(`/e${i}.bin`, { body });
  const proxy = await startProxy({ config: fileConfig({ upstreams: [up.url], file: '      default_policy: immutable\n' }) });
  for (let i = 0; i < HOT; i++) await httpGet(`${proxy.url}/files/e${i}.bin`, { discardBody: true });
  const script = join(tmpDir('bench-lua-'), 'hot.lua');
  writeFileSync(script, `math.randomseed(7)\nrequest = function() return wrk.format("GET", "/files/e" .. math.random(0, ${HOT - 1}) .. ".bin") end\n`);

  await proxy.stop();
  const smallStart = await start(proxy);
  const small = await hits(proxy, script);
  await proxy.stop('SIGKILL'); // no snapshot: the next start must scan the records seeded below
  const t0 = performance.now();
  seed(proxy.backend, entryFile(proxy.backend, 'files', keyHashOf('e0.bin')), MANY - HOT);
  const seedS = (performance.now() - t0) / 1000;
  const scan = await start(proxy); // no snapshot for the seeded records: what a start after a crash does
  await proxy.stop(); // a clean stop writes the index snapshot
  const clean = await start(proxy);
  const big = await hits(proxy, script);
  await proxy.stop(); await up.close();
  const load = (x: WrkResult) => `${x.rps.toFixed(0)} req/s, p50 ${x.p50ms.toFixed(2)} ms, p99 ${x.p99ms.toFixed(2)} ms`;
  const st = (x: Start) => `answers after ${x.readyMs.toFixed(0)} ms, index of ${x.entries.toLocaleString('en')} complete after ${(x.indexMs / 1000).toFixed(1)} s (${x.from})`;
  return [{
    bench: `many entries: 1,000,000 vs 1,000 (hot set ${HOT}, 16 conns)`,
    ours: `1M clean restart: ${st(clean)}; ${load(big)}. 1M after a crash: ${st(scan)}`,
    reference: `1k: ${st(smallStart)}; ${load(small)} (seeding 1M records took ${seedS.toFixed(0)} s)`,
    ratio: `p99 ${ratio(big.p99ms, small.p99ms)}`,
    goal: 'start ≤ 5 s; p99 ≤ 1.5× of 1k',
  }];
}
