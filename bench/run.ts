// `npm run bench -- [name]`: benchmarks printed as a table (our figure, reference, ratio, goal).
// Issue #3 adds the side-by-side peers (nginx, apt-cacher-ng, registry, Verdaccio) to this harness.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { startFixtureServer, startProxy, httpGet, cleanupAll, fileConfig } from '../conformance/index.js';
import { startNginxCache } from './peers/nginx.js';
import { wrk, alternate } from './load.js';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Row { bench: string; ours: string; reference: string; ratio: string; goal: string }
const MiB = 1024 * 1024;

function curlTime(url: string): Promise<{ total: number; first: number }> {
  return new Promise((resolve) => {
    const p = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{time_starttransfer} %{time_total}', url]);
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('close', () => { const [f, t] = out.split(' ').map(Number); resolve({ first: f! * 1000, total: t! * 1000 }); });
  });
}

async function coldStorm(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [clients, sizeMiB, rateMiB] of [[50, 48, 32], [100, 200, 50]] as const) {
    const up = await startFixtureServer();
    const data = randomBytes(sizeMiB * MiB);
    up.set('/big.bin', { body: data });
    up.fault('/big.bin', { rate: rateMiB * MiB });
    const proxy = await startProxy({ config: fileConfig({ upstreams: [up.url], file: '      default_policy: immutable\n' }) });
    const lone = await curlTime(`${up.url}/big.bin`);
    const results = await Promise.all(Array.from({ length: clients }, () => curlTime(`${proxy.url}/files/big.bin`)));
    const check = await httpGet(`${proxy.url}/files/big.bin`, { discardBody: true, expect: data });
    const slowest = Math.max(...results.map((r) => r.total));
    const first = Math.max(...results.map((r) => r.first));
    rows.push({
      bench: `cold storm ${clients}×${sizeMiB} MiB @${rateMiB} MiB/s`,
      ours: `slowest ${slowest.toFixed(0)} ms, first byte ≤ ${first.toFixed(0)} ms, ${up.count('GET', '/big.bin') - 1} upstream GET, bytes ${check.matches ? 'identical' : 'DIFFER'}`,
      reference: `lone transfer ${lone.total.toFixed(0)} ms`,
      ratio: `${(slowest / lone.total).toFixed(2)}×`,
      goal: clients === 50 ? '≤ 1.3×, first byte < 2 s' : '≤ 1.1×, first byte < 1 s',
    });
    await proxy.stop();
    await up.close();
  }
  return rows;
}

/** both caches warmed the same way (two GETs each), then wrk runs alternate A B A B A B */
async function warmPair(paths: string[], body: (p: string) => Buffer) {
  const up = await startFixtureServer();
  for (const p of paths) up.set(p, { body: body(p) });
  const proxy = await startProxy({ config: fileConfig({ upstreams: [up.url], file: '      default_policy: immutable\n' }) });
  const nginx = await startNginxCache(up.url);
  for (const p of paths) for (let i = 0; i < 2; i++) { await httpGet(`${proxy.url}/files${p}`, { discardBody: true }); await httpGet(`${nginx.url}${p}`, { discardBody: true }); }
  return { up, proxy, nginx, ours: (p: string) => `${proxy.url}/files${p}`, theirs: (p: string) => `${nginx.url}${p}` };
}

async function smallHits(): Promise<Row[]> {
  const rows: Row[] = [];
  const env = await warmPair(['/4k.bin', '/64k.bin'], (p) => randomBytes(p === '/4k.bin' ? 4096 : 65536));
  for (const p of ['/4k.bin', '/64k.bin']) {
    const r = await alternate(3, () => wrk(env.ours(p), { connections: 64, seconds: 4 }), () => wrk(env.theirs(p), { connections: 64, seconds: 4 }), (x) => x.rps);
    rows.push({ bench: `small warm hits ${p.slice(1)} (64 conns)`, ours: `${r.a.toFixed(0)} req/s`, reference: `nginx proxy_cache ${r.b.toFixed(0)} req/s`, ratio: `${(r.a / r.b).toFixed(2)}×`, goal: '≥ 0.6×' });
  }
  await env.proxy.stop(); await env.nginx.stop(); await env.up.close();
  return rows;
}

async function largeBlob(): Promise<Row[]> {
  const size = 1024 * MiB;
  const data = randomBytes(size);
  const env = await warmPair(['/1g.bin'], () => data);
  const d = mkdtempSync(join(tmpdir(), 'bench-cat-'));
  writeFileSync(join(d, 'f'), data);
  const catMBps = await new Promise<number>((resolve) => {
    const t0 = performance.now();
    const p = spawn('sh', ['-c', `cat ${join(d, 'f')} > /dev/null`]);
    p.on('close', () => resolve(size / 1e6 / ((performance.now() - t0) / 1000)));
  });
  rmSync(d, { recursive: true, force: true });
  const timed = async (url: string) => { const r = await curlTime(url); return size / 1e6 / (r.total / 1000); };
  const r = await alternate(3, () => timed(env.ours('/1g.bin')), () => timed(env.theirs('/1g.bin')), (x) => x);
  await env.proxy.stop(); await env.nginx.stop(); await env.up.close();
  return [{ bench: 'large warm blob 1 GiB (1 client)', ours: `${r.a.toFixed(0)} MB/s`, reference: `nginx ${r.b.toFixed(0)} MB/s; cat > /dev/null ${catMBps.toFixed(0)} MB/s`, ratio: `${(r.a / r.b).toFixed(2)}×`, goal: '≥ 0.9×' }];
}

const BENCHES: Record<string, () => Promise<Row[]>> = { 'cold-storm': coldStorm, 'small-hits': smallHits, 'large-blob': largeBlob };

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(BENCHES);
const rows: Row[] = [];
for (const n of names) {
  const b = BENCHES[n];
  if (!b) { process.stderr.write(`unknown benchmark "${n}" (have: ${Object.keys(BENCHES).join(', ')})\n`); process.exitCode = 2; continue; }
  rows.push(...(await b()));
}
await cleanupAll();
const cols: (keyof Row)[] = ['bench', 'ours', 'reference', 'ratio', 'goal'];
process.stdout.write(`| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|\n`);
for (const r of rows) process.stdout.write(`| ${cols.map((c) => r[c]).join(' | ')} |\n`);
