// What the rpm conformance files share: the real-tool fixture (rpmbuild, createrepo_c, gpg, built at test
// time), an rpm instance in front of fixture upstreams, and real dnf and zypper with private roots (recipe:
// dnf --installroot with its own reposdir and cachedir; zypper --root). Nothing on the system changes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir, repoRoot, startProxy, type ProxyHandle } from './launcher.js';
import { runClient } from './client-run.js';

export interface RpmFixture { dir: string; key: string; tree(name: 'v1' | 'v2' | 'torn' | 'rebuilt' | 'xz' | `checksum-${string}`): string }
export interface RpmRun { code: number; out: string }
export interface RpmClient { dir: string; refresh(): Promise<RpmRun>; install(pkgs: string[]): Promise<RpmRun>; rpms(): string[]; path(rpm: string): string }

/** conformance/fixtures/rpm/make.sh into a temp dir; `extra` small packages cp-bench-NN for benchmarks; `checksums`: checksum-<alg> trees */
export function buildRpmFixture(o: { dataMiB?: number; extra?: number; checksums?: string[] } = {}): RpmFixture {
  const dir = tmpDir('rpmfx-');
  execFileSync('bash', [join(repoRoot, 'conformance/fixtures/rpm/make.sh'), dir], { stdio: 'pipe', env: { ...process.env, CP_DATA_MIB: String(o.dataMiB ?? 20), CP_EXTRA: String(o.extra ?? 0), CP_CHECKSUMS: (o.checksums ?? []).join(' ') } });
  return { dir, key: join(dir, 'key.asc'), tree: (n) => join(dir, n) };
}

export async function startRpmProxy(upstreams: string[], extra = ''): Promise<{ proxy: ProxyHandle; url: string }> {
  const proxy = await startProxy({
    config: `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
metrics: { path: /metrics }
instances:
  - name: fx
    enabled: true
    rpm:
      route: { path: /rpm }
      upstreams: [${upstreams.join(', ')}]
${extra}`,
  });
  return { proxy, url: `${proxy.url}/rpm` };
}

/** a missing dnf or zypper fails under CI (apt-get install dnf zypper) */
export function rpmClientMissing(bin: 'dnf' | 'zypper'): string | null {
  try { execFileSync(bin, ['--version'], { stdio: 'pipe' }); return null; } catch {
    const why = `${bin} is missing: apt-get install ${bin}`;
    if (process.env.CI === 'true') throw new Error(why);
    return why;
  }
}

const runner = (bin: string, base: string[]) => (args: string[]): Promise<RpmRun> => runClient(bin, [...base, ...args]);

const rpmsUnder = (dir: string) => readdirSync(dir, { recursive: true }).map(String).filter((n) => n.endsWith('.rpm'));

/** dnf into a fresh installroot; repomd.xml.asc checked against the fixture key (repo_gpgcheck) */
export function dnfClient(baseurl: string, key: string): RpmClient {
  const dir = tmpDir('dnf-');
  for (const d of ['repos.d', 'cache', 'root', 'dl']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'repos.d/fx.repo'), `[fx]\nname=fx\nbaseurl=${baseurl}/\ngpgcheck=0\nrepo_gpgcheck=1\ngpgkey=file://${key}\nmetadata_expire=0\nskip_if_unavailable=0\n`);
  const run = runner('dnf', ['-y', `--installroot=${dir}/root`, `--setopt=reposdir=${dir}/repos.d`, `--setopt=cachedir=${dir}/cache`, '--releasever=1', '--noplugins']);
  return {
    dir,
    refresh: () => run(['makecache']),
    install: (pkgs) => run(['install', '--downloadonly', `--downloaddir=${dir}/dl`, ...pkgs]),
    rpms: () => rpmsUnder(join(dir, 'dl')).sort(),
    path: (rpm) => join(dir, 'dl', rpm),
  };
}

/** zypper into a fresh root (signatures: dnf covers repo_gpgcheck; zypper would need the key imported into the root) */
export function zypperClient(baseurl: string): RpmClient & { add(): Promise<RpmRun> } {
  const dir = tmpDir('zypper-');
  const run = runner('zypper', ['--root', join(dir, 'root'), '--non-interactive', '--no-gpg-checks']);
  const cache = join(dir, 'root/var/cache/zypp/packages');
  return {
    dir,
    add: () => run(['ar', '-G', `${baseurl}/`, 'fx']),
    refresh: () => run(['refresh']),
    install: (pkgs) => run(['install', '--download-only', ...pkgs]),
    rpms: () => { try { return rpmsUnder(cache).map((p) => p.split('/').pop()!).sort(); } catch { return []; } },
    path: (rpm) => join(cache, 'fx/Packages', rpm),
  };
}
