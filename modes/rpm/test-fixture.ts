// The rpm fixture for unit tests (built once per test process: ../linux-repo/fixture-once.ts).
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureOnce } from '../linux-repo/fixture-once.js';

export const rpmFixture = fixtureOnce('rpm', 'make.sh');

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
