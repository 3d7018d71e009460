// Unit tests of the apk parsers read the hand-made fixture (conformance/fixtures/apk/make.mjs), built once per
// test process into a temp dir.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../engine/paths.js';

export const REPO_DIR = 'v3.20/main/x86_64';
let dir: string | undefined;
export function apkFixture(): string {
  if (dir) return dir;
  dir = mkdtempSync(join(tmpdir(), 'cp-apkfx-'));
  execFileSync(process.execPath, [join(packageRoot, 'conformance/fixtures/apk/make.mjs'), dir], { stdio: 'pipe', env: { ...process.env, CP_DATA_MIB: '1' } });
  const d = dir;
  process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  return dir;
}
