// Warm `pacman -Sy` + `pacman -Sw` of 40 packages with fresh client state (private root, dbpath, cachedir),
// through our pacman mode, through nginx proxy_cache and through apt-cacher-ng (its plain remap of a http
// origin), all three in front of the same fixture upstream (a tree made by bsdtar, zstd and repo-add at bench
// time). Runs rotate ours / nginx / apt-cacher-ng, medians; ratio = the best peer's time / ours.
import { startFixtureServer, cleanupAll } from '../../conformance/index.js';
import { buildPacmanFixture, startPacmanProxy, pacmanClient } from '../../conformance/harness/pacman.js';
import { startAptCacherNg, lowFreePort } from '../peers/apt-cacher-ng.js';
import { startNginxCache, type Peer } from '../peers/nginx.js';
import { median } from '../load.js';
import { cpuSecondsOf, type Row } from '../common.js';

const COUNT = 40;
const PACKAGES = Array.from({ length: COUNT }, (_, i) => `cp-bench-${String(i + 1).padStart(2, '0')}`);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
/** pacman 6.1's shipped pacman.conf enables 5 parallel downloads */
const PARALLEL = 5;

async function pacmanRun(url: string): Promise<number> {
  const c = pacmanClient(url, { parallelDownloads: PARALLEL });
  const t0 = performance.now();
  const s = await c.sync();
  const d = await c.download(PACKAGES);
  const ms = performance.now() - t0;
  if (s.code !== 0 || d.code !== 0 || c.packages().length !== COUNT) throw new Error(`pacman run through ${url} failed:\n${s.out}\n${d.out}`);
  return ms;
}

interface Side { name: string; url: string; cpu: () => number; ms: number[]; upstream: number; cpuS: number }

export async function pacmanBench(): Promise<Row[]> {
  const fx = buildPacmanFixture({ dataMiB: 1, bench: COUNT });
  // apt-cacher-ng reaches no upstream port ≥ 32768
  const up = await startFixtureServer({ root: fx.tree('bench'), port: await lowFreePort() });
  const { url: ours, proxy } = await startPacmanProxy([up.url]);
  const peers: Peer[] = [];
  try {
    const nginx = await startNginxCache(up.url); peers.push(nginx);
    const acng = await startAptCacherNg(up.url); peers.push(acng);
    const pidsCpu = (p: Peer) => () => p.pids().reduce((n, pid) => n + cpuSecondsOf(pid), 0);
    const sides: Side[] = [
      { name: 'ours', url: ours, cpu: () => cpuSecondsOf(proxy.pid), ms: [], upstream: 0, cpuS: 0 },
      { name: 'nginx proxy_cache', url: nginx.url, cpu: pidsCpu(nginx), ms: [], upstream: 0, cpuS: 0 },
      { name: 'apt-cacher-ng', url: acng.url, cpu: pidsCpu(acng), ms: [], upstream: 0, cpuS: 0 },
    ];
    // warm every cache (two runs each), then count what a warm run costs upstream
    for (let i = 0; i < 2; i++) for (const s of sides) await pacmanRun(s.url);
    for (let i = 0; i < ROUNDS; i++) for (const s of sides) {
      const n = up.requests.length, c = s.cpu();
      s.ms.push(await pacmanRun(s.url));
      s.upstream += up.requests.length - n; s.cpuS += s.cpu() - c;
    }
    const figure = (s: Side) => `${median(s.ms).toFixed(0)} ms, server CPU ${((s.cpuS / ROUNDS) * 1000).toFixed(0)} ms/run, ${(s.upstream / ROUNDS).toFixed(1)} upstream requests/run`;
    const [a, ...refs] = sides as [Side, ...Side[]];
    const best = refs.reduce((x, y) => (median(y.ms) < median(x.ms) ? y : x));
    return [{
      bench: `pacman warm -Sy + -Sw of ${COUNT} packages (fresh client state, ${PARALLEL} parallel downloads)`,
      ours: figure(a),
      reference: refs.map((s) => `${s.name} ${figure(s)}`).join('; '),
      // as the other benches: the best reference's time over ours, ≥ 1.0× = no slower
      ratio: `${(median(best.ms) / median(a.ms)).toFixed(2)}× (vs ${best.name})`, goal: '≥ 1.0× the best peer',
    }];
  } finally {
    for (const p of peers) await p.stop();
    await proxy.stop();
    await cleanupAll();
  }
}
