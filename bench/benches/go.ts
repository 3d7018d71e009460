// go mode: warm `go mod download` of a generated ≥ 30-module graph (module zips written by gofx) with an empty
// module cache, through the proxy vs straight from the fixture GOPROXY server vs through nginx proxy_cache.
// The first run through the proxy (checksum database lookups through it too) writes go.sum; the timed runs then
// verify against go.sum. Runs rotate (proxy, direct, nginx) five times; medians.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, tmpDir } from '../../conformance/index.js';
import { goBinary, writeGoProxyDir } from '../../conformance/harness/go-tools.js';
import { startGoProxy, startSumdbOver, type GoUpstreams } from '../../conformance/harness/go-upstreams.js';
import { goEnv, goRun } from '../../conformance/harness/go-client.js';
import { startNginxCache } from '../peers/nginx.js';
import { median } from '../load.js';
import { ratio, type Row } from '../common.js';

const MODULES = 32;

/** MODULES module trees bench.example/m<i>@v1.0.0, a few source files each */
function moduleTrees(dir: string): string[] {
  const paths: string[] = [];
  for (let i = 0; i < MODULES; i++) {
    const path = `bench.example/m${i}`;
    const tree = join(dir, `${path}@v1.0.0`);
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, 'go.mod'), `module ${path}\n\ngo 1.19\n`);
    for (let f = 0; f < 4; f++) writeFileSync(join(tree, `f${f}.go`), `package m${i}\n\n// F${f} is generated.\nconst F${f} = ${JSON.stringify('x'.repeat(2000 + i * 10 + f))}\n`);
    paths.push(path);
  }
  return paths;
}

export async function goBench(): Promise<Row[]> {
  const go = goBinary('1.23') ?? goBinary('1.19');
  if (!go) throw new Error('no go toolchain (apt-get install golang-go)');
  const T = tmpDir('bench-go-');
  const paths = moduleTrees(join(T, 'src'));
  await writeGoProxyDir(join(T, 'src'), join(T, 'proxy'));
  const origin = await startFixtureServer({ root: join(T, 'proxy') });
  const db = await startSumdbOver([join(T, 'proxy')]);
  const up = { g1: origin, g2: origin, s: { url: db.url }, vkey: db.vkey } as unknown as GoUpstreams;
  const { proxy, X } = await startGoProxy(up, { proxies: [origin.url], go: '      module_fresh_for: 10m\n      sumdb_fresh_for: 10m' });
  const nginx = await startNginxCache(origin.url);
  const app = join(T, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'go.mod'), `module bench.example/app\n\ngo 1.19\n\nrequire (\n${paths.map((p) => `\t${p} v1.0.0\n`).join('')})\n`);
  let n = 0;
  const download = async (goproxy: string, gosumdb: string) => {
    const gopath = join(T, `gp-${n++}`);
    const r = await goRun(go, ['mod', 'download'], app, goEnv({ go, goproxy, gosumdb, gopath }));
    rmSync(gopath, { recursive: true, force: true });
    if (r.code !== 0) throw new Error(`go mod download via ${goproxy} failed: ${r.stderr.slice(0, 500)}`);
    return r.ms;
  };
  await download(X, db.vkey); // warms the proxy and writes go.sum
  const direct = `${db.vkey} ${db.url}`;
  await download(nginx.url, direct); // warms nginx
  const targets: Record<string, [string, string]> = { proxy: [X, direct], direct: [origin.url, direct], nginx: [nginx.url, direct] };
  const times: Record<string, number[]> = { proxy: [], direct: [], nginx: [] };
  for (let round = 0; round < 5; round++) for (const [k, [goproxy, gosumdb]] of Object.entries(targets)) times[k]!.push(await download(goproxy, gosumdb));
  const zips = origin.requests.filter((r) => r.path.endsWith('.zip')).length;
  if (zips < 5 * MODULES) throw new Error(`the direct runs fetched ${zips} zips, fewer than ${5 * MODULES}: not a download`);
  const [p, d, x] = [median(times.proxy!), median(times.direct!), median(times.nginx!)];
  const what = `warm go mod download, ${MODULES} modules (empty module cache)`;
  await proxy.stop();
  await nginx.stop();
  await origin.close();
  return [
    { bench: what, ours: `${(p / 1000).toFixed(2)} s`, reference: `direct from the fixture GOPROXY server ${(d / 1000).toFixed(2)} s`, ratio: ratio(d, p), goal: '≥ 1.0× (no slower than direct)' },
    { bench: what, ours: `${(p / 1000).toFixed(2)} s`, reference: `nginx proxy_cache ${(x / 1000).toFixed(2)} s`, ratio: ratio(x, p), goal: '—' },
  ];
}
