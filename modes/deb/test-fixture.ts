// Unit tests of the deb parsers read the real-tool fixture (conformance/fixtures/deb/make.sh), built once
// per test process into a temp dir with a 1 MiB cp-data payload.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../engine/paths.js';

let dir: string | undefined;
export function debFixture(): string {
  if (dir) return dir;
  dir = mkdtempSync(join(tmpdir(), 'cp-debfx-'));
  execFileSync('bash', [join(packageRoot, 'conformance/fixtures/deb/make.sh'), dir], { stdio: 'pipe', env: { ...process.env, CP_DATA_MIB: '1' } });
  const d = dir;
  process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  return dir;
}
