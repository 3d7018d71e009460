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

async function measure(proxy: ProxyHandle, script: string): Promise<{ startMs: number; indexMs: number; load: WrkResult }> {
  const t0 = performance.now();
  await proxy.restart();
  const startMs = performance.now() - t0;
  let indexMs = NaN;
  for (let i = 0; i < 1200 && Number.isNaN(indexMs); i++) {
    const m = /"msg":"index ready".*?"ms":(\d+)/.exec(proxy.logs().split('"msg":"ready"').pop() ?? '');
    if (m) indexMs = Number(m[1]); else await new Promise((r) => setTimeout(r, 100));
  }
  await wrk(`${proxy.url}/`, { connections: 16, seconds: 2, script }); // first sight of each hot record
  const load = await wrk(`${proxy.url}/`, { connections: 16, seconds: 5, script });
  if (load.errors) throw new Error(`${load.errors} failed requests in the many-entries run`);
  return { startMs, indexMs, load };
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

  const small = await measure(proxy, script);
  await proxy.stop();
  const t0 = performance.now();
  seed(proxy.backend, entryFile(proxy.backend, 'files', keyHashOf('e0.bin')), MANY - HOT);
  const seedS = (performance.now() - t0) / 1000;
  const big = await measure(proxy, script);
  await proxy.stop(); await up.close();
  const fmt = (x: typeof small) => `start ${x.startMs.toFixed(0)} ms (index complete ${x.indexMs} ms), ${x.load.rps.toFixed(0)} req/s, p50 ${x.load.p50ms.toFixed(2)} ms, p99 ${x.load.p99ms.toFixed(2)} ms`;
  return [{
    bench: `many entries: 1,000,000 vs 1,000 (hot set ${HOT}, 16 conns)`,
    ours: `1M: ${fmt(big)}`,
    reference: `1k: ${fmt(small)} (seeding 1M records took ${seedS.toFixed(0)} s)`,
    ratio: `p99 ${ratio(big.load.p99ms, small.load.p99ms)}`,
    goal: 'start ≤ 5 s; p99 ≤ 1.5× of 1k',
  }];
}
