// Unit tests of the repository modes read their real-tool fixture (conformance/fixtures/<mode>/make.sh, or
// make.mjs where no tool exists here), built once per test process into a temp dir with a 1 MiB cp-data payload.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../engine/paths.js';

/** a getter for the built fixture of `mode` (its script under conformance/fixtures/<mode>/) */
export function fixtureOnce(mode: string, script: 'make.sh' | 'make.mjs'): () => string {
  let dir: string | undefined;
  return () => {
    if (dir) return dir;
    const d = mkdtempSync(join(tmpdir(), `cp-${mode}fx-`));
    const path = join(packageRoot, 'conformance/fixtures', mode, script);
    execFileSync(script.endsWith('.sh') ? 'bash' : process.execPath, [path, d], { stdio: 'pipe', env: { ...process.env, CP_DATA_MIB: '1' } });
    process.on('exit', () => rmSync(d, { recursive: true, force: true }));
    return (dir = d);
  };
}
