// Verdaccio 6.8.0 on loopback as a pull-through npm cache in front of an origin. Installed at run time
// into a bench-private directory (not a project dependency); the registry here exposes only `latest`
// dist-tags, so its `node-fetch@cjs` dependency is pinned by an override.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../conformance/index.js';
import type { Peer } from './nginx.js';

const VERSION = '6.8.0';

function installDir(): string {
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'cache-proxy-bench', `verdaccio-${VERSION}`);
  const bin = join(dir, 'node_modules/verdaccio/bin/verdaccio');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-verdaccio', private: true, dependencies: { verdaccio: VERSION }, overrides: { 'node-fetch@cjs': '2.7.0' } }));
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(bin)) throw new Error(`cannot install verdaccio@${VERSION}`);
  return bin;
}

export async function startVerdaccio(origin: string): Promise<Peer> {
  const bin = installDir();
  const d = mkdtempSync(join(tmpdir(), 'bench-verdaccio-'));
  const port = await freePort();
  writeFileSync(join(d, 'config.yaml'), `storage: ${d}/storage
uplinks:
  origin: { url: ${origin}/, maxage: 10m, cache: true }
packages:
  '@*/*': { access: $all, proxy: origin }
  '**': { access: $all, proxy: origin }
log: { type: stdout, format: pretty, level: error }
server: { keepAliveTimeout: 60 }
`);
  const p = spawn(process.execPath, [bin, '--config', join(d, 'config.yaml'), '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${url}/-/ping`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, pids: () => [p.pid!],
    stop: async () => {
      p.kill('SIGTERM');
      await new Promise((r) => (p.exitCode !== null ? r(undefined) : p.once('exit', r)));
      rmSync(d, { recursive: true, force: true });
    },
  };
}
