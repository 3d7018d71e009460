// Warm `apt-get update` + download of 50 packages with fresh client state, through our deb mode and
// through apt-cacher-ng, both in front of the same fixture upstream (a tree made by dpkg-deb,
// apt-ftparchive and gpg at bench time). Runs alternate A B A B, medians; ratio = apt-cacher-ng's time / ours.
import { startFixtureServer, aptClient, buildDebFixture, startDebProxy, debSources, cleanupAll } from '../../conformance/index.js';
import { startAptCacherNg, lowFreePort } from '../peers/apt-cacher-ng.js';
import { median } from '../load.js';
import { cpuSecondsOf, type Row } from '../common.js';

const PACKAGES = Array.from({ length: 50 }, (_, i) => `cp-bench-${String(i + 1).padStart(2, '0')}`);
const ROUNDS = 9;

async function aptRun(url: string, key: string): Promise<number> {
  const c = aptClient(debSources(url, key, ['bookworm']));
  const t0 = performance.now();
  const u = await c.update();
  const i = await c.install(PACKAGES);
  const ms = performance.now() - t0;
  if (u.code !== 0 || i.code !== 0 || c.debs().length !== PACKAGES.length) throw new Error(`apt run through ${url} failed:\n${u.out}\n${i.out}`);
  return ms;
}

export async function debBench(): Promise<Row[]> {
  const fx = buildDebFixture({ dataMiB: 1, extra: PACKAGES.length });
  // apt-cacher-ng reaches no upstream port ≥ 32768
  const up = await startFixtureServer({ root: fx.tree('v1'), port: await lowFreePort() });
  const { url: ours, proxy } = await startDebProxy([up.url]);
  const acng = await startAptCacherNg(up.url);
  try {
    return await measure(ours, acng.url, fx.key, up, () => cpuSecondsOf(proxy.pid), () => acng.pids().reduce((n, p) => n + cpuSecondsOf(p), 0));
  } finally {
    await acng.stop();
    await cleanupAll();
  }
}

async function measure(ours: string, theirs: string, key: string, up: { requests: unknown[] }, oursCpu: () => number, theirsCpu: () => number): Promise<Row[]> {
  // warm both caches (two runs each), then count what a warm run costs upstream
  for (let i = 0; i < 2; i++) { await aptRun(ours, key); await aptRun(theirs, key); }
  const a: number[] = [], b: number[] = [];
  let oursUp = 0, theirsUp = 0, oursCpuS = 0, theirsCpuS = 0;
  for (let i = 0; i < ROUNDS; i++) {
    let n = up.requests.length, c = oursCpu();
    a.push(await aptRun(ours, key));
    oursUp += up.requests.length - n; oursCpuS += oursCpu() - c;
    n = up.requests.length; c = theirsCpu();
    b.push(await aptRun(theirs, key));
    theirsUp += up.requests.length - n; theirsCpuS += theirsCpu() - c;
  }
  const ma = median(a), mb = median(b);
  return [{
    bench: `deb warm apt-get update + ${PACKAGES.length} packages (fresh client state)`,
    ours: `${ma.toFixed(0)} ms, server CPU ${((oursCpuS / ROUNDS) * 1000).toFixed(0)} ms/run, ${(oursUp / ROUNDS).toFixed(0)} upstream requests/run`,
    reference: `apt-cacher-ng ${mb.toFixed(0)} ms, server CPU ${((theirsCpuS / ROUNDS) * 1000).toFixed(0)} ms/run, ${(theirsUp / ROUNDS).toFixed(0)} upstream requests/run`,
    // as the other benches: the reference's time over ours, ≥ 1.0× = no slower
    ratio: `${(mb / ma).toFixed(2)}×`, goal: '≥ 1.0× (no slower)',
  }];
}
