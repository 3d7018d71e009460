// Warm pull of a 5-layer ~300 MiB image with skopeo: through cache-proxy's oci mode vs the distribution
// registry in pull-through mode, both in front of the same distribution registry, alternating A B A B;
// plus the raw server side (the 5 layers by 5 parallel curls) and the proxy's peak RSS over the whole run.
import { rmSync, readFileSync, existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { startProxy, tmpDir } from '../../conformance/index.js';
import { startRegistry } from '../../conformance/harness/oci/registry.js';
import { must, skopeoCopy } from '../../conformance/harness/oci/images.js';
import { repoRoot } from '../../conformance/harness/launcher.js';
import { startDistributionCache } from '../peers/distribution.js';
import { ensureDebianPackage } from '../peers/nginx.js';
import { alternate } from '../load.js';
import { curlTime, memoryOf, cpuSecondsOf, ratio, MiB, type Row } from '../common.js';

const LAYERS = [64, 60, 60, 60, 56]; // MiB of random data each: ~300 MiB, incompressible
const ROUNDS = 7;

export async function ociPull(): Promise<Row[]> {
  ensureDebianPackage('skopeo', 'skopeo');
  const work = tmpDir('bench-oci-');
  const layout = join(work, 'layout');
  const digest = (await must('bash', [join(repoRoot, 'conformance/fixtures/oci/image.sh'), 'random', layout, 'big', LAYERS.join(',')], 600_000)).stdout.trim();
  const upstream = await startRegistry({ dir: join(work, 'upstream') });
  await must('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout}:big`, `docker://${upstream.host}/bench/big:v1`], 600_000);
  const peer = await startDistributionCache(upstream.url);
  const proxy = await startProxy({
    config: `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
instances:
  - name: oci
    enabled: true
    oci: { bind: "127.0.0.1:\${PORT1}", upstream: ${upstream.url} }
`,
  });
  const ours = [...readFileSync(proxy.configFile, 'utf8').matchAll(/bind: "?(127\.0\.0\.1:\d+)/g)].at(-1)![1]!; // the oci listener
  // the pulled image goes to memory when possible, so disk writeback of one run does not slow the next
  const destRoot = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/bench-oci-') : work;
  try {
    const pull = async (host: string) => {
      const dest = join(destRoot, 'pulled');
      rmSync(dest, { recursive: true, force: true });
      const r = await skopeoCopy(`docker://${host}/bench/big:v1`, `dir:${dest}`);
      if (r.code !== 0) throw new Error(`pull from ${host} failed: ${r.stderr}`);
      return r.ms;
    };
    await pull(ours); await pull(peer.host); // cold: fills both caches
    await pull(ours); await pull(peer.host);
    const manifest = JSON.parse((await must('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ours}/bench/big@${digest}`])).stdout) as { layers: { digest: string; size: number }[] };
    const layersOf = (host: string) => async () => {
      const t0 = performance.now();
      const rs = await Promise.all(manifest.layers.map((l) => curlTime(`http://${host}/v2/bench/big/blobs/${l.digest}`)));
      if (rs.some((x, i) => x.bytes !== manifest.layers[i]!.size)) throw new Error(`short blob from ${host}`);
      return performance.now() - t0;
    };
    const total = manifest.layers.reduce((n, l) => n + l.size, 0);
    // CPU seconds each server spends per warm pull: what a busy machine makes them compete for
    const cpu = { ours: 0, theirs: 0 };
    const timedCpu = (pid: number, key: 'ours' | 'theirs', f: () => Promise<number>) => async () => { const c0 = cpuSecondsOf(pid); const ms = await f(); cpu[key] += cpuSecondsOf(pid) - c0; return ms; };
    const a = await alternate(ROUNDS, timedCpu(proxy.pid, 'ours', () => pull(ours)), timedCpu(peer.pids()[0]!, 'theirs', () => pull(peer.host)), (x) => x);
    const raw = await alternate(ROUNDS, layersOf(ours), layersOf(peer.host), (x) => x);
    const peak = memoryOf(proxy.pid).peakMiB;
    const peerPeak = memoryOf(peer.pids()[0]!).peakMiB;
    const mb = (ms: number) => `${(total / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
    return [
      { bench: `oci warm pull, skopeo copy, 5 layers ${(total / MiB).toFixed(0)} MiB (median of ${ROUNDS}, A B A B)`, ours: `${a.a.toFixed(0)} ms, ${(cpu.ours / ROUNDS).toFixed(2)} CPU s/pull`, reference: `distribution pull-through ${a.b.toFixed(0)} ms, ${(cpu.theirs / ROUNDS).toFixed(2)} CPU s/pull`, ratio: ratio(a.b, a.a), goal: '≥ 1.0× (no slower)' },
      { bench: 'oci warm layers, 5 parallel curl', ours: `${raw.a.toFixed(0)} ms (${mb(raw.a)})`, reference: `distribution ${raw.b.toFixed(0)} ms (${mb(raw.b)})`, ratio: ratio(raw.b, raw.a), goal: '≥ 1.0×' },
      { bench: 'oci memory: proxy peak RSS (cold fill + 12 warm pulls)', ours: `${peak.toFixed(0)} MiB`, reference: `distribution peak RSS ${peerPeak.toFixed(0)} MiB`, ratio: `${(peak / 200).toFixed(2)}× of goal`, goal: '≤ 200 MiB' },
    ];
  } finally {
    rmSync(destRoot, { recursive: true, force: true });
    await proxy.stop();
    await peer.stop();
    await upstream.stop();
  }
}
