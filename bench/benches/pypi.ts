// pypi mode: warm `pip install` of a generated 32-distribution requirement set through the proxy vs straight
// from the fixture index vs through nginx proxy_cache in front of the same index, and simple-page hit req/s
// (wrk) vs nginx. The wheels are made by a minimal wheel writer in Python (zipfile + RECORD, the layout
// `python3 -m build` produces), not by `build` itself: 32 builds take minutes on this machine and prove nothing
// more about the proxy. The index links relatively (`../../packages/<wheel>`), so every file request of every
// target goes to the one origin under test. Runs rotate (proxy, direct, nginx); medians.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, startPypiProxy, tmpDir, makeVenv, pip, runCmd, type Content } from '../../conformance/index.js';
import { startNginxCache } from '../peers/nginx.js';
import { wrk, alternate, rotate } from '../load.js';
import { ratio, type Row } from '../common.js';

const DISTS = 32;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';

const WHEEL_WRITER = `
import base64, hashlib, sys, zipfile
out, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    name, ver = f"bench_dist_{i}", "1.0"
    di = f"{name}-{ver}.dist-info"
    files = {f"{name}/__init__.py": f"X = {i}\\n" + "# padding\\n" * 400,
             f"{di}/METADATA": f"Metadata-Version: 2.1\\nName: bench-dist-{i}\\nVersion: {ver}\\n",
             f"{di}/WHEEL": "Wheel-Version: 1.0\\nGenerator: cache-proxy-bench\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}
    h = lambda c: base64.urlsafe_b64encode(hashlib.sha256(c.encode()).digest()).rstrip(b"=").decode()
    files[f"{di}/RECORD"] = "".join(f"{p},sha256={h(c)},{len(c.encode())}\\n" for p, c in files.items()) + f"{di}/RECORD,,\\n"
    with zipfile.ZipFile(f"{out}/{name}-{ver}-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as z:
        for p, c in files.items():
            z.writestr(zipfile.ZipInfo(p, (2020, 1, 1, 0, 0, 0)), c)
`;

/** DISTS wheels and their index (root, PEP 503 and PEP 691 pages), served by one fixture origin */
async function generatedIndex() {
  const dir = tmpDir('bench-pypi-');
  const script = join(dir, 'wheels.py');
  writeFileSync(script, WHEEL_WRITER);
  const w = await runCmd('python3', [script, dir, String(DISTS)]);
  if (w.code !== 0) throw new Error(`wheel writer failed: ${w.stderr}`);
  const wheels = new Map<string, Buffer>();
  for (const f of readdirSync(dir)) if (f.endsWith('.whl')) wheels.set(f, readFileSync(join(dir, f)));
  const pages = new Map<string, { html: string; json: string }>();
  for (const [f, b] of wheels) {
    const n = `bench-dist-${/^bench_dist_(\d+)-/.exec(f)![1]}`;
    const sha = createHash('sha256').update(b).digest('hex');
    const url = `../../packages/${f}`;
    pages.set(n, {
      html: `<!DOCTYPE html>\n<html><body>\n<a href="${url}#sha256=${sha}" data-requires-python="&gt;=3.7">${f}</a><br />\n</body></html>\n`,
      json: JSON.stringify({ meta: { 'api-version': '1.1' }, name: n, versions: ['1.0'], files: [{ filename: f, url, hashes: { sha256: sha }, 'requires-python': '>=3.7', size: b.length, yanked: false }] }),
    });
  }
  const up = await startFixtureServer({
    resolve: (raw, headers): Content | undefined => {
      const p = /^\/simple\/([a-z0-9-]+)\/$/.exec(raw)?.[1];
      const page = p ? pages.get(p) : undefined;
      if (page) return (headers.accept ?? '').startsWith(JSON_TYPE) ? { body: page.json, headers: { 'content-type': JSON_TYPE, vary: 'Accept' } } : { body: page.html, headers: { 'content-type': 'text/html', vary: 'Accept' } };
      const f = /^\/packages\/([^/]+)$/.exec(raw)?.[1];
      return f && wheels.has(f) ? { body: wheels.get(f)!, headers: { 'content-type': 'application/octet-stream' } } : undefined;
    },
  });
  return { up, names: [...pages.keys()], dir };
}

export async function pypiBench(): Promise<Row[]> {
  const { up, names, dir } = await generatedIndex();
  const { proxy, I } = await startPypiProxy({ upstream: up.url, pypi: '      index_fresh_for: 10m' });
  const nginx = await startNginxCache(up.url);
  const tool = await makeVenv(true);
  const reqs = join(dir, 'requirements.txt');
  writeFileSync(reqs, names.map((n) => `${n}==1.0\n`).join(''));
  const targets = { proxy: I, direct: `${up.url}/simple`, nginx: `${nginx.url}/simple` };
  let n = 0;
  const install = async (index: string) => {
    const t = join(dir, `t-${n++}`);
    mkdirSync(t);
    const r = await pip(tool, ['install', '-q', '--no-deps', '--target', t, '--index-url', index, '-r', reqs]);
    if (r.code !== 0) throw new Error(`pip install via ${index} failed: ${r.stderr.slice(-800)}`);
    rmSync(t, { recursive: true, force: true });
    return r.ms;
  };
  await install(targets.proxy); // warms the proxy
  await install(targets.nginx); // warms nginx
  const [p, d, x] = await rotate(ROUNDS, [() => install(targets.proxy), () => install(targets.direct), () => install(targets.nginx)], (ms) => ms);
  const what = `warm pip install, ${DISTS} distributions (--target, no pip cache)`;
  const rows: Row[] = [
    { bench: what, ours: `${(p! / 1000).toFixed(2)} s`, reference: `direct from the fixture index ${(d! / 1000).toFixed(2)} s`, ratio: ratio(d!, p!), goal: '≥ 1.0× (no slower than direct)' },
    { bench: what, ours: `${(p! / 1000).toFixed(2)} s`, reference: `nginx proxy_cache ${(x! / 1000).toFixed(2)} s`, ratio: ratio(x!, p!), goal: '—' },
  ];
  const page = '/simple/bench-dist-7/';
  for (let i = 0; i < 2; i++) { await fetch(`${proxy.url}/pypi${page}`).then((r) => r.arrayBuffer()); await fetch(`${nginx.url}${page}`).then((r) => r.arrayBuffer()); }
  const secs = Number(process.env.BENCH_WRK_SECONDS ?? 4);
  const rps = await alternate(ROUNDS, () => wrk(`${proxy.url}/pypi${page}`, { connections: 32, seconds: secs }), () => wrk(`${nginx.url}${page}`, { connections: 32, seconds: secs }), (r) => r.rps);
  rows.push({ bench: 'simple-page hit (HTML class, 32 conns)', ours: `${rps.a.toFixed(0)} req/s`, reference: `nginx proxy_cache ${rps.b.toFixed(0)} req/s`, ratio: ratio(rps.a, rps.b), goal: '≥ 0.5× nginx' });
  await proxy.stop();
  await nginx.stop();
  await up.close();
  return rows;
}
