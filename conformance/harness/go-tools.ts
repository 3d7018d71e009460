// The go toolchains the go tests drive, and the fixture tools (gofx, sumdbfx) built from
// conformance/fixtures/go/tools with Debian's x/mod sources (GOPATH mode, offline). A build is kept in the
// temp directory under a hash of its source and toolchain, so a test run builds each tool once.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './launcher.js';

export const GO_FIXTURE_DIR = join(repoRoot, 'conformance', 'fixtures', 'go');
const GOCODE = '/usr/share/gocode';

/** bookworm's go (1.19) and bookworm-backports' go 1.23 */
export const GO_TOOLCHAINS = { '1.19': '/usr/lib/go-1.19/bin/go', '1.23': '/usr/lib/go-1.23/bin/go' } as const;
export type GoVersion = keyof typeof GO_TOOLCHAINS;

/** the go binary of a version; null when missing (a failure under CI) */
export function goBinary(v: GoVersion): string | null {
  const bin = GO_TOOLCHAINS[v];
  if (existsSync(bin)) return bin;
  if (process.env.CI === 'true') throw new Error(`go ${v} is missing (${bin}): .ci/run installs it`);
  return null;
}

/** the x/mod import path of the Debian sources (golang-golang-x-mod-dev), found on disk */
function xmodImportPath(): string {
  const src = join(GOCODE, 'src');
  const host = existsSync(src) ? readdirSync(src).find((h) => existsSync(join(src, h, 'x', 'mod', 'zip'))) : undefined;
  if (!host) throw new Error(`x/mod sources not found under ${src}: apt-get install golang-golang-x-mod-dev`);
  return `${host}/x/mod`;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => execFile(cmd, args, { env, cwd, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${String(stderr) || err.message}`)) : resolve(String(stdout)))));
}

/** a built fixture tool (gofx or sumdbfx) */
export async function goTool(name: 'gofx' | 'sumdbfx'): Promise<string> {
  const go = goBinary('1.19') ?? goBinary('1.23');
  if (!go) throw new Error('no go toolchain to build the go fixture tools');
  const xmod = xmodImportPath();
  const source = readFileSync(join(GO_FIXTURE_DIR, 'tools', name, 'main.go'), 'utf8').replace(/"XMOD\//g, `"${xmod}/`);
  const id = createHash('sha256').update(`${go}\n${source}`).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `cp-gotool-${name}-${id}`);
  const bin = join(dir, name);
  if (existsSync(bin)) return bin;
  const work = `${dir}.${process.pid}.tmp`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'src'), { recursive: true });
  writeFileSync(join(work, 'src', 'main.go'), source);
  const env = { PATH: process.env.PATH, HOME: work, GO111MODULE: 'off', GOPATH: GOCODE, GOFLAGS: '', GOTOOLCHAIN: 'local', GOCACHE: join(work, 'cache') };
  await run(go, ['build', '-o', join(work, name), './src'], env, work);
  rmSync(join(work, 'cache'), { recursive: true, force: true });
  try { renameSync(work, dir); } catch { rmSync(work, { recursive: true, force: true }); } // another process built it first
  return bin;
}

/** writes a GOPROXY directory `out` from module trees `src/<module>@<version>/` with gofx */
export async function writeGoProxyDir(src: string, out: string): Promise<void> {
  await run(await goTool('gofx'), [src, out], { PATH: process.env.PATH });
}
