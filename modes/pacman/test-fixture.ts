// Unit tests of the pacman parsers read the real-tool fixture (conformance/fixtures/pacman/make.sh), built once
// per test process into a temp dir with a 1 MiB cp-data payload.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../engine/paths.js';

export const REPO_DIR = 'fixture/os/x86_64';
let dir: string | undefined;
export function pacmanFixture(): string {
  if (dir) return dir;
  dir = mkdtempSync(join(tmpdir(), 'cp-pacfx-'));
  execFileSync('bash', [join(packageRoot, 'conformance/fixtures/pacman/make.sh'), dir], { stdio: 'pipe', env: { ...process.env, CP_DATA_MIB: '1' } });
  const d = dir;
  process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  return dir;
}
