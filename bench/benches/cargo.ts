// cargo mode: warm `cargo fetch` of a generated ≥ 30-crate lockfile (empty CARGO_HOME each run) through the
// proxy vs straight from the fixture registry vs through nginx proxy_cache in front of the same registry, and
// index-file hit req/s (wrk) vs nginx. Runs rotate (proxy, direct, nginx) BENCH_ROUNDS times (default 5); medians.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tar from 'tar-stream';
import { startCargoRegistry, type CargoData } from '../../conformance/index.js';
import { cargo, cargoApp, replaceCratesIo, startCargoProxy } from '../../conformance/harness/cargo-client.js';
import { indexPath } from '../../modes/cargo/names.js';
import { startNginxCache } from '../peers/nginx.js';
import { wrk, alternate, rotate } from '../load.js';
import { ratio, type Row } from '../common.js';

const CRATES = 32;

// The .crate archives are written here directly (a gzipped tar of `<name>-<version>/Cargo.toml` and
// `src/lib.rs`, the layout `cargo package` writes) rather than by 32 runs of `cargo package`: that would add
// half a minute on two shared cores to every bench run for bytes cargo fetch treats the same.
async function crateFile(name: string, version: string): Promise<Buffer> {
  const pack = tar.pack();
  const root = `${name}-${version}`;
  const files: Record<string, string> = {
    [`${root}/Cargo.toml`]: `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\nlicense = "MIT"\ndescription = "bench crate"\n`,
    [`${root}/src/lib.rs`]: `//! ${name}\n${'// padding\n'.repeat(400)}pub const NAME: &str = "${name}";\n`,
  };
  for (const [p, body] of Object.entries(files)) pack.entry({ name: p, mode: 0o644, mtime: new Date('2020-01-01T00:00:00Z') }, body);
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) parts.push(c);
  return gzipSync(Buffer.concat(parts));
}

/** CRATES crates `bench_crate_N`, two versions each, in the fixture registry's shape */
export async function generateCargoRegistry(): Promise<CargoData> {
  const index: CargoData['index'] = new Map();
  const crates: CargoData['crates'] = new Map();
  for (let i = 0; i < CRATES; i++) {
    const name = `bench_crate_${i}`;
    const lines: string[] = [];
    for (const vers of ['1.0.0', '1.1.0']) {
      const body = await crateFile(name, vers);
      const cksum = createHash('sha256').update(body).digest('hex');
      crates.set(`${name}-${vers}`, { name, vers, cksum, yanked: false, body });
      lines.push(JSON.stringify({ name, vers, deps: [], cksum, features: {}, yanked: false, links: null, v: 2 }));
    }
    index.set(indexPath(name), Buffer.from(`${lines.join('\n')}\n`));
  }
  return { index, crates };
}

export async function cargoBench(): Promise<Row[]> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const data = await generateCargoRegistry();
  // one origin: nginx must serve the crate files too, so its config.json links point back at nginx
  const reg = await startCargoRegistry(data, { oneOrigin: true });
  const { proxy, H } = await startCargoProxy(reg.url, '      index_fresh_for: 10m');
  const nginx = await startNginxCache(reg.url, { location: `proxy_set_header Accept-Encoding ""; sub_filter_types application/json; sub_filter_once off; sub_filter '${reg.url}' '$scheme://$http_host';` });
  const deps = [...new Set([...data.crates.values()].map((c) => `${c.name} = "1"`))];
  const sparse = { proxy: `sparse+${H}/`, direct: `sparse+${reg.url}/`, nginx: `sparse+${nginx.url}/` };
  // the lockfile made through the proxy names crates-io: the same file serves every target
  const first = cargoApp(replaceCratesIo(sparse.proxy), deps, 'bench_app');
  const r0 = await cargo(['generate-lockfile'], first);
  if (r0.code !== 0) throw new Error(`cargo generate-lockfile through the proxy failed: ${r0.stderr}`);
  const lock = readFileSync(join(first, 'Cargo.lock'));
  const fetchVia = async (target: keyof typeof sparse) => {
    const app = cargoApp(replaceCratesIo(sparse[target]), deps, 'bench_app');
    writeFileSync(join(app, 'Cargo.lock'), lock);
    const r = await cargo(['fetch', '--locked'], app);
    if (r.code !== 0) throw new Error(`cargo fetch via ${target} failed: ${r.stderr.slice(0, 500)}`);
    return r.ms;
  };
  await fetchVia('proxy'); // fills the proxy
  await fetchVia('nginx'); // fills nginx
  const [p, d, n] = await rotate(rounds, [() => fetchVia('proxy'), () => fetchVia('direct'), () => fetchVia('nginx')], (ms) => ms);
  const what = `warm cargo fetch, ${CRATES} crates (empty CARGO_HOME)`;
  const rows: Row[] = [
    { bench: what, ours: `${(p! / 1000).toFixed(2)} s`, reference: `direct from the fixture registry ${(d! / 1000).toFixed(2)} s`, ratio: ratio(d!, p!), goal: '≥ 1.0× (no slower than direct)' },
    { bench: what, ours: `${(p! / 1000).toFixed(2)} s`, reference: `nginx proxy_cache ${(n! / 1000).toFixed(2)} s`, ratio: ratio(n!, p!), goal: '—' },
  ];
  const file = `/${indexPath('bench_crate_7')}`;
  for (let i = 0; i < 2; i++) { await fetch(`${H}${file}`).then((r) => r.arrayBuffer()); await fetch(`${nginx.url}${file}`).then((r) => r.arrayBuffer()); }
  const seconds = rounds >= 3 ? 4 : 2;
  const rps = await alternate(Math.min(rounds, 3), () => wrk(`${H}${file}`, { connections: 32, seconds }), () => wrk(`${nginx.url}${file}`, { connections: 32, seconds }), (x) => x.rps);
  rows.push({ bench: 'index-file hit (32 conns)', ours: `${rps.a.toFixed(0)} req/s`, reference: `nginx proxy_cache ${rps.b.toFixed(0)} req/s`, ratio: ratio(rps.a, rps.b), goal: '≥ 0.5× nginx' });
  await proxy.stop();
  await nginx.stop();
  await reg.stop();
  return rows;
}
