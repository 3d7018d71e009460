// `npm run bench -- [name ...]`: benchmarks printed as one table (our figure, the peer's, ratio, goal).
import { cleanupAll } from '../conformance/index.js';
import type { Row } from './common.js';
import { coldStorm } from './benches/cold-storm.js';
import { engineStorm } from './benches/engine-storm.js';
import { smallHits } from './benches/small-hits.js';
import { largeBlob, memory, closeLargeBlob } from './benches/large-blob.js';
import { manyEntries } from './benches/many-entries.js';
import { npmBench } from './benches/npm.js';
import { ociPull } from './benches/oci.js';
import { debBench } from './benches/deb.js';
import { rpmBench } from './benches/rpm.js';
import { pacmanBench } from './benches/pacman.js';
import { pypiBench } from './benches/pypi.js';
import { cargoBench } from './benches/cargo.js';
import { goBench } from './benches/go.js';
import { mavenBench } from './benches/maven.js';
import { gitBench } from './benches/git.js';
import { coldMisses, coldLarge, coldWarmStorm } from './benches/cold-misses.js';
import { clusterBench } from './benches/cluster.js';

const BENCHES: Record<string, () => Promise<Row[]>> = {
  'small-hits': smallHits, 'large-blob': largeBlob, memory, 'cold-storm': coldStorm, 'engine-storm': engineStorm, 'many-entries': manyEntries, npm: npmBench, oci: ociPull, deb: debBench, rpm: rpmBench, pacman: pacmanBench, pypi: pypiBench, cargo: cargoBench, go: goBench, maven: mavenBench, git: gitBench,
  'cold-misses': coldMisses, 'cold-large': coldLarge, 'cold-warm-storm': coldWarmStorm, cluster: clusterBench,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((n) => !BENCHES[n]);
if (unknown.length) {
  process.stderr.write(`unknown benchmark ${unknown.map((n) => `"${n}"`).join(', ')} (have: ${Object.keys(BENCHES).join(', ')})\n`);
  process.exit(2);
}
const rows: Row[] = [];
const started = performance.now();
try {
  for (const n of wanted.length ? wanted : Object.keys(BENCHES)) {
    const t0 = performance.now();
    process.stderr.write(`… ${n}\n`);
    rows.push(...(await BENCHES[n]!()));
    process.stderr.write(`  ${n} took ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    if (n === 'memory') await closeLargeBlob();
  }
} finally {
  await closeLargeBlob();
  await cleanupAll();
}
const cols: (keyof Row)[] = ['bench', 'ours', 'reference', 'ratio', 'goal'];
process.stdout.write(`\n${new Date().toISOString().slice(0, 10)}, ${(await import('node:os')).cpus().length} cores, Node ${process.versions.node}; whole run ${((performance.now() - started) / 60000).toFixed(1)} min\n\n`);
process.stdout.write(`| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|\n`);
for (const r of rows) process.stdout.write(`| ${cols.map((c) => r[c]).join(' | ')} |\n`);
