// Warm `dnf makecache` + `dnf install --downloadonly` of 50 packages with fresh client state (its own
// installroot, reposdir and cachedir each run), through our rpm mode, through nginx proxy_cache and through
// apt-cacher-ng, all three in front of the same fixture upstream (a tree made by rpmbuild, createrepo_c and gpg
// at bench time; dnf checks repomd.xml.asc). Runs rotate ours / nginx / apt-cacher-ng, medians;
// ratio = the peer's time / ours.
import { rmSync } from 'node:fs';
import { startFixtureServer, cleanupAll } from '../../conformance/index.js';
import { buildRpmFixture, startRpmProxy, dnfClient } from '../../conformance/harness/rpm.js';
import { startNginxCache } from '../peers/nginx.js';
import { startAptCacherNg, lowFreePort } from '../peers/apt-cacher-ng.js';
import { median } from '../load.js';
import { cpuSecondsOf, type Row } from '../common.js';

const PACKAGES = Array.from({ length: 50 }, (_, i) => `cp-bench-${String(i + 1).padStart(2, '0')}`);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

async function dnfRun(baseurl: string, key: string): Promise<number> {
  const c = dnfClient(baseurl, key);
  const t0 = performance.now();
  const m = await c.refresh();
  const i = m.code === 0 ? await c.install(PACKAGES) : m;
  const ms = performance.now() - t0;
  const got = c.rpms().length;
  rmSync(c.dir, { recursive: true, force: true });
  if (m.code !== 0 || i.code !== 0 || got !== PACKAGES.length) throw new Error(`dnf run through ${baseurl} failed (${got} rpms):\n${m.out}\n${i.out}`);
  return ms;
}

interface Side { name: string; url: string; cpu(): number; times: number[]; up: number; cpuS: number }

export async function rpmBench(): Promise<Row[]> {
  const fx = buildRpmFixture({ dataMiB: 1, extra: PACKAGES.length });
  // apt-cacher-ng reaches no upstream port ≥ 32768
  const up = await startFixtureServer({ root: fx.tree('v1'), port: await lowFreePort() });
  const { url: ours, proxy } = await startRpmProxy([up.url]);
  const nginx = await startNginxCache(up.url);
  const acng = await startAptCacherNg(up.url);
  const sum = (pids: number[]) => pids.reduce((n, p) => n + cpuSecondsOf(p), 0);
  const sides: Side[] = [
    { name: 'ours', url: ours, cpu: () => cpuSecondsOf(proxy.pid), times: [], up: 0, cpuS: 0 },
    { name: 'nginx proxy_cache', url: nginx.url, cpu: () => sum(nginx.pids()), times: [], up: 0, cpuS: 0 },
    { name: 'apt-cacher-ng', url: acng.url, cpu: () => sum(acng.pids()), times: [], up: 0, cpuS: 0 },
  ];
  try {
    // warm every cache (two runs each), then count what a warm run costs upstream
    for (let i = 0; i < 2; i++) for (const s of sides) await dnfRun(s.url, fx.key);
    for (let i = 0; i < ROUNDS; i++) {
      for (const s of sides) {
        const n = up.requests.length, c = s.cpu();
        s.times.push(await dnfRun(s.url, fx.key));
        s.up += up.requests.length - n; s.cpuS += s.cpu() - c;
      }
    }
  } finally {
    await acng.stop();
    await nginx.stop();
    await cleanupAll();
  }
  const fmt = (s: Side) => `${median(s.times).toFixed(0)} ms, server CPU ${((s.cpuS / ROUNDS) * 1000).toFixed(0)} ms/run, ${(s.up / ROUNDS).toFixed(1)} upstream requests/run`;
  const [o, ...peers] = sides as [Side, ...Side[]];
  const what = `rpm warm dnf makecache + install --downloadonly, ${PACKAGES.length} packages (fresh client state)`;
  return peers.map((p) => ({
    bench: what, ours: fmt(o), reference: `${p.name} ${fmt(p)}`,
    // as the other benches: the reference's time over ours, ≥ 1.0× = no slower
    ratio: `${(median(p.times) / median(o.times)).toFixed(2)}×`, goal: '≥ 1.0× (no slower)',
  }));
}
