// npm mode: warm `npm ci` of a generated ≥ 300-package lockfile through the proxy vs straight from the
// fixture registry vs through Verdaccio 6.8.0, and packument hit req/s (wrk) vs Verdaccio.
// Runs rotate (proxy, direct, Verdaccio) five times; medians.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import tar from 'tar-stream';
import { startNpmRegistry, startNpmProxy, npm, clientHome, tmpDir, type RegistryData } from '../../conformance/index.js';
import { startVerdaccio } from '../peers/verdaccio.js';
import { wrk, alternate, median } from '../load.js';
import { ratio, type Row } from '../common.js';

const PACKAGES = 320;
const PLACEHOLDER = 'https://registry.example';

async function tarball(name: string, version: string): Promise<Buffer> {
  const pack = tar.pack();
  const files: Record<string, string> = { 'package/package.json': JSON.stringify({ name, version, main: 'index.js', license: 'MIT' }, null, 2), 'package/index.js': `module.exports = ${JSON.stringify(name)};\n${'// padding\n'.repeat(200)}` };
  for (const [p, body] of Object.entries(files)) pack.entry({ name: p, mode: 0o644, mtime: new Date(499162500000) }, body);
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) parts.push(c);
  return gzipSync(Buffer.concat(parts));
}

/** PACKAGES packages `bench-pkg-N`, each with 3 versions, in the registry's document shape */
export async function generateRegistry(): Promise<RegistryData> {
  const docs: RegistryData['docs'] = new Map();
  const tarballs: RegistryData['tarballs'] = new Map();
  for (let i = 0; i < PACKAGES; i++) {
    const name = `bench-pkg-${i}`;
    const versions: Record<string, unknown> = {}, abbrev: Record<string, unknown> = {}, time: Record<string, string> = { created: '2020-01-01T00:00:00.000Z', modified: '2020-02-01T00:00:00.000Z' };
    for (const version of ['1.0.0', '1.1.0', '1.2.0']) {
      const tgz = await tarball(name, version);
      tarballs.set(`${name}/-/${name}-${version}.tgz`, tgz);
      const dist = { integrity: `sha512-${createHash('sha512').update(tgz).digest('base64')}`, shasum: createHash('sha1').update(tgz).digest('hex'), tarball: `${PLACEHOLDER}/${name}/-/${name}-${version}.tgz` };
      versions[version] = { name, version, main: 'index.js', license: 'MIT', description: 'x'.repeat(200), _id: `${name}@${version}`, dist };
      abbrev[version] = { name, version, dist };
      time[version] = '2020-01-15T00:00:00.000Z';
    }
    const tags = { latest: '1.2.0' };
    docs.set(name, { full: { _id: name, name, 'dist-tags': tags, versions, time, readme: 'r'.repeat(2000) }, abbrev: { name, 'dist-tags': tags, versions: abbrev, modified: time.modified } });
  }
  return { docs, tarballs };
}

export async function npmBench(): Promise<Row[]> {
  const reg = await startNpmRegistry(await generateRegistry());
  const { proxy, R } = await startNpmProxy({ upstream: reg.url, npm: '      metadata_fresh_for: 10m' });
  const verdaccio = await startVerdaccio(reg.url);
  const { env } = clientHome();
  const T = tmpDir('bench-npm-');
  const app = join(T, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'bench-app', private: true, dependencies: Object.fromEntries([...reg.data.docs.keys()].map((n) => [n, '^1.0.0'])) }));
  const first = await npm(['install', '--ignore-scripts'], { cwd: app, env, registry: R, cache: join(T, 'warm') });
  if (first.code !== 0) throw new Error(`npm install through the proxy failed: ${first.stderr}`);
  const lock = readFileSync(join(app, 'package-lock.json'), 'utf8');
  const targets = { proxy: R, direct: reg.url, verdaccio: verdaccio.url };
  let n = 0;
  const ci = async (base: string) => {
    const dir = join(T, `ci-${n++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), readFileSync(join(app, 'package.json')));
    writeFileSync(join(dir, 'package-lock.json'), lock.split(`${R}/`).join(`${base}/`));
    const r = await npm(['ci', '--ignore-scripts'], { cwd: dir, env, registry: base, cache: join(dir, 'cache') });
    if (r.code !== 0) throw new Error(`npm ci via ${base} failed: ${r.stderr.slice(0, 500)}`);
    rmSync(dir, { recursive: true, force: true });
    return r.ms;
  };
  await ci(targets.verdaccio); // warms Verdaccio's tarball cache
  const packages = Object.keys((JSON.parse(lock) as { packages: object }).packages).length - 1;
  const times: Record<string, number[]> = { proxy: [], direct: [], verdaccio: [] };
  for (let round = 0; round < 5; round++) for (const [k, base] of Object.entries(targets)) times[k]!.push(await ci(base));
  const [p, d, v] = [median(times.proxy!), median(times.direct!), median(times.verdaccio!)];
  const rows: Row[] = [
    { bench: `warm npm ci, ${packages} packages (empty npm cache)`, ours: `${(p / 1000).toFixed(2)} s`, reference: `direct from the fixture registry ${(d / 1000).toFixed(2)} s`, ratio: ratio(d, p), goal: '≥ 1.0× (no slower than direct)' },
    { bench: `warm npm ci, ${packages} packages (empty npm cache)`, ours: `${(p / 1000).toFixed(2)} s`, reference: `Verdaccio 6.8.0 ${(v / 1000).toFixed(2)} s`, ratio: ratio(v, p), goal: '—' },
  ];
  const doc = '/bench-pkg-7';
  for (let i = 0; i < 2; i++) { await fetch(`${R}${doc}`).then((r) => r.arrayBuffer()); await fetch(`${verdaccio.url}${doc}`).then((r) => r.arrayBuffer()); }
  const rps = await alternate(3, () => wrk(`${R}${doc}`, { connections: 32, seconds: 4 }), () => wrk(`${verdaccio.url}${doc}`, { connections: 32, seconds: 4 }), (x) => x.rps);
  rows.push({ bench: 'packument hit (full document, 32 conns)', ours: `${rps.a.toFixed(0)} req/s`, reference: `Verdaccio 6.8.0 ${rps.b.toFixed(0)} req/s`, ratio: ratio(rps.a, rps.b), goal: '≥ 5×' });
  await proxy.stop();
  await verdaccio.stop();
  await reg.stop();
  return rows;
}
