// Unit tests of the rpm parsers read the real-tool fixture (conformance/fixtures/rpm/make.sh), built once
// per test process into a temp dir with a 1 MiB cp-data payload.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../engine/paths.js';

let dir: string | undefined;
export function rpmFixture(): string {
  if (dir) return dir;
  dir = mkdtempSync(join(tmpdir(), 'cp-rpmfx-'));
  execFileSync('bash', [join(packageRoot, 'conformance/fixtures/rpm/make.sh'), dir], { stdio: 'pipe', env: { ...process.env, CP_DATA_MIB: '1' } });
  const d = dir;
  process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  return dir;
}

/** the repodata file of a tree whose name ends with `suffix` (names start with their checksum) */
export function repodataFile(tree: string, suffix: string): string {
  const f = readdirSync(join(tree, 'repodata')).find((n) => n.endsWith(suffix));
  if (!f) throw new Error(`no *${suffix} in ${tree}/repodata`);
  return join(tree, 'repodata', f);
}

const checksumTrees = new Map<string, string>();
/** the fixture's v1 packages under `createrepo_c --checksum <alg> --zck` (repomd and primary in that digest, zchunk variants listed) */
export function rpmChecksumTree(alg: string): string {
  const known = checksumTrees.get(alg);
  if (known) return known;
  const t = join(rpmFixture(), `checksum-${alg}`);
  cpSync(join(rpmFixture(), 'v1/Packages'), join(t, 'Packages'), { recursive: true });
  execFileSync('createrepo_c', ['-q', '--checksum', alg, '--zck', '--revision', '1700000001', t], { stdio: 'pipe' });
  checksumTrees.set(alg, t);
  return t;
}
