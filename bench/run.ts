// `npm run bench -- [name]`: benchmarks printed as a table (our figure, reference, ratio, goal).
// Issue #3 adds the side-by-side peers (nginx, apt-cacher-ng, registry, Verdaccio) to this harness.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { startFixtureServer, startProxy, httpGet, cleanupAll, fileConfig } from '../conformance/index.js';

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

const BENCHES: Record<string, () => Promise<Row[]>> = { 'cold-storm': coldStorm };

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
