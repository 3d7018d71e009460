// Warm `apt-get update` + download of 50 packages with fresh client state, through our deb mode and
// through apt-cacher-ng, both in front of the same fixture upstream (a tree made by dpkg-deb,
// apt-ftparchive and gpg at bench time). Runs alternate A B A B, medians; lower time is better.
import { startFixtureServer, aptClient, buildDebFixture, startDebProxy, debSources, cleanupAll } from '../../conformance/index.js';
import { startAptCacherNg } from '../peers/apt-cacher-ng.js';
import { median } from '../load.js';
import type { Row } from '../common.js';

const PACKAGES = Array.from({ length: 50 }, (_, i) => `cp-bench-${String(i + 1).padStart(2, '0')}`);
const ROUNDS = 5;

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
  const up = await startFixtureServer({ root: fx.tree('v1') });
  const { url: ours } = await startDebProxy([up.url]);
  const acng = await startAptCacherNg(up.url);
  // warm both caches (two runs each), then count what a warm run costs upstream
  for (let i = 0; i < 2; i++) { await aptRun(ours, fx.key); await aptRun(acng.url, fx.key); }
  const a: number[] = [], b: number[] = [];
  let oursUp = 0, theirsUp = 0;
  for (let i = 0; i < ROUNDS; i++) {
    let n = up.requests.length;
    a.push(await aptRun(ours, fx.key));
    oursUp += up.requests.length - n;
    n = up.requests.length;
    b.push(await aptRun(acng.url, fx.key));
    theirsUp += up.requests.length - n;
  }
  await acng.stop();
  await cleanupAll();
  const ma = median(a), mb = median(b);
  return [{
    bench: `deb warm apt-get update + ${PACKAGES.length} packages (fresh client state)`,
    ours: `${ma.toFixed(0)} ms, ${(oursUp / ROUNDS).toFixed(0)} upstream requests/run`,
    reference: `apt-cacher-ng ${mb.toFixed(0)} ms, ${(theirsUp / ROUNDS).toFixed(0)} upstream requests/run`,
    ratio: `${(ma / mb).toFixed(2)}× time`, goal: '≤ 1.0× (no slower)',
  }];
}
