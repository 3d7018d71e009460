// What the pacman conformance files share: the real-tool fixture (built at test time), a pacman instance in
// front of fixture upstreams, and a real pacman with private root, database, cache, log and config.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir, repoRoot, startProxy, type ProxyHandle } from './launcher.js';
import { runClient } from './client-run.js';
import { singleInstanceConfig } from './single-instance.js';
import { httpGet } from './http.js';

export type PacmanTree = 'v1' | 'v2' | 'extra' | 'rebuilt' | 'torn' | 'tornfiles' | 'corrupt' | 'bench';
export interface PacmanFixture { dir: string; tree(name: PacmanTree): string }
/** the database directory inside every tree (`$repo/os/$arch` with repo `fixture`, arch `x86_64`) */
export const PACMAN_REPO_DIR = 'fixture/os/x86_64';

/** conformance/fixtures/pacman/make.sh into a temp dir (bsdtar, zstd, repo-add); `bench` packages make the `bench` tree */
export function buildPacmanFixture(o: { dataMiB?: number; bench?: number; benchKiB?: number } = {}): PacmanFixture {
  const dir = tmpDir('pacfx-');
  const env = { ...process.env, CP_DATA_MIB: String(o.dataMiB ?? 4), CP_BENCH_COUNT: String(o.bench ?? 0), CP_BENCH_KIB: String(o.benchKiB ?? 256) };
  execFileSync('bash', [join(repoRoot, 'conformance/fixtures/pacman/make.sh'), dir], { stdio: 'pipe', env });
  return { dir, tree: (n) => join(dir, n) };
}

export async function startPacmanProxy(upstreams: string[], block = ''): Promise<{ proxy: ProxyHandle; url: string }> {
  const proxy = await startProxy({ config: singleInstanceConfig({ mode: 'pacman', block: `      upstreams: [${upstreams.join(', ')}]\n${block}` }) });
  return { proxy, url: `${proxy.url}/pacman` };
}

/** the generation the proxy serves for the fixture database (X-Cache-Generation) */
export async function servedDbGeneration(url: string): Promise<number> {
  const r = await httpGet(`${url}/${PACMAN_REPO_DIR}/fixture.db`, { method: 'HEAD' });
  return Number(r.headers['x-cache-generation'] ?? 0);
}

export interface PacmanRun { code: number; out: string }
export interface PacmanClient {
  dir: string; cache: string; sync(): Promise<PacmanRun>; download(pkgs: string[]): Promise<PacmanRun>; packages(): string[];
  /** `pacman -Fy` (the `.files` database), then `pacman -F <file>` */
  syncFiles(): Promise<PacmanRun>; owner(file: string): Promise<PacmanRun>;
  /** the database files pacman keeps under its dbpath (`sync/<repo>.db`, `sync/<repo>.files`) */
  synced(name: string): Buffer;
}

/** a fresh pacman state whose only repository `fixture` is served at `url/$repo/os/$arch` */
export function pacmanClient(url: string, opts: { parallelDownloads?: number } = {}): PacmanClient {
  const dir = tmpDir('pacman-');
  for (const d of ['root', 'db', 'cache', 'gpg']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'pacman.conf'), `[options]\nArchitecture = x86_64\nSigLevel = Never\nParallelDownloads = ${opts.parallelDownloads ?? 1}\n[fixture]\nServer = ${url}/$repo/os/$arch\n`);
  const o = ['--config', join(dir, 'pacman.conf'), '--root', join(dir, 'root'), '--dbpath', join(dir, 'db'), '--cachedir', join(dir, 'cache'),
    '--logfile', join(dir, 'pacman.log'), '--gpgdir', join(dir, 'gpg'), '--noconfirm', '--noprogressbar'];
  const run = (args: string[]): Promise<PacmanRun> => runClient('pacman', [...o, ...args]);
  return {
    dir, cache: join(dir, 'cache'),
    sync: () => run(['-Sy']),
    download: (pkgs) => run(['-Sw', ...pkgs]),
    syncFiles: () => run(['-Fy']),
    owner: (file) => run(['-F', file]),
    synced: (name) => readFileSync(join(dir, 'db', 'sync', name)),
    packages: () => readdirSync(join(dir, 'cache')).filter((n) => /\.pkg\.tar\.\w+$/.test(n)).sort(),
  };
}
