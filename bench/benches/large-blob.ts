// A warm 1 GiB object: one client's MB/s against nginx (and `cat file > /dev/null` as the limit), and
// the proxy's peak RSS while 100 clients read it at once.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../conformance/index.js';
import { alternate } from '../load.js';
import { warmPair, curlTime, memoryOf, ratio, MiB, type Pair, type Row } from '../common.js';

const SIZE = 1024 * MiB;
let shared: { pair: Pair; file: string } | undefined;

/** one warm pair for both benchmarks; the origin serves the object from a file */
async function env(): Promise<{ pair: Pair; file: string }> {
  if (shared) return shared;
  const file = join(tmpDir('bench-blob-'), '1g.bin');
  const chunk = randomBytes(64 * MiB);
  writeFileSync(file, Buffer.alloc(0));
  for (let i = 0; i < SIZE / chunk.length; i++) writeFileSync(file, randomBytes(chunk.length), { flag: 'a' });
  shared = { pair: await warmPair({ '/1g.bin': { file } }), file };
  return shared;
}

export async function closeLargeBlob(): Promise<void> {
  if (!shared) return;
  await shared.pair.stop();
  rmSync(shared.file, { force: true });
  shared = undefined;
}

function catMBps(file: string): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn('sh', ['-c', `cat '${file}' > /dev/null`]);
    p.on('close', () => resolve(SIZE / 1e6 / ((performance.now() - t0) / 1000)));
  });
}

export async function largeBlob(): Promise<Row[]> {
  const { pair, file } = await env();
  const cat = await catMBps(file);
  const timed = async (url: string) => { const r = await curlTime(url); if (r.bytes !== SIZE) throw new Error(`short read from ${url}`); return SIZE / 1e6 / (r.total / 1000); };
  const r = await alternate(3, () => timed(pair.ours('/1g.bin')), () => timed(pair.theirs('/1g.bin')), (x) => x);
  return [{ bench: 'large warm blob 1 GiB (1 client)', ours: `${r.a.toFixed(0)} MB/s`, reference: `nginx ${r.b.toFixed(0)} MB/s; cat > /dev/null ${cat.toFixed(0)} MB/s`, ratio: ratio(r.a, r.b), goal: '≥ 0.9×' }];
}

export async function memory(): Promise<Row[]> {
  const { pair } = await env();
  await pair.proxy.restart(); // the peak must come from serving, not from the fill that warmed the cache
  const before = memoryOf(pair.proxy.pid);
  const t0 = performance.now();
  const rs = await Promise.all(Array.from({ length: 100 }, () => curlTime(pair.ours('/1g.bin'))));
  const secs = (performance.now() - t0) / 1000;
  const peak = memoryOf(pair.proxy.pid).peakMiB;
  const complete = rs.filter((x) => x.bytes === SIZE).length;
  const nginxRss = pair.nginx.pids().reduce((n, p) => n + memoryOf(p).peakMiB, 0);
  return [{
    bench: 'memory: 100 clients × warm 1 GiB',
    ours: `peak RSS ${peak.toFixed(0)} MiB (idle ${before.rssMiB.toFixed(0)} MiB), ${complete}/100 complete, ${(100 * SIZE / 1e6 / secs).toFixed(0)} MB/s total`,
    reference: `nginx master+workers peak RSS ${nginxRss.toFixed(0)} MiB (after its own runs)`,
    ratio: `${(peak / 200).toFixed(2)}× of goal`, goal: '≤ 200 MiB',
  }];
}
