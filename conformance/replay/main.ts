// Re-records the replay scenarios of the built-in modes from real-format upstreams built by the fixture tools:
//   npm run build && node dist/conformance/replay/main.js [file] [npm] [oci] [deb] [rpm] [pypi] [cargo] [go] [maven] [pacman] [apk]   (default: every mode)
// Writes conformance/fixtures/<mode>/replay/ (its README.md is kept).
import { cleanupAll } from '../harness/cleanup.js';
import { recordFile } from './file.js';
import { recordNpm } from './npm.js';
import { recordOci } from './oci.js';
import { recordDeb } from './deb.js';
import { recordRpm } from './rpm.js';
import { recordPypi } from './pypi.js';
import { recordCargo } from './cargo.js';
import { recordGo } from './go.js';
import { recordMaven } from './maven.js';
import { recordPacman } from './pacman.js';
import { recordApk } from './apk.js';

const recorders: Record<string, () => Promise<void>> = { file: recordFile, npm: recordNpm, oci: recordOci, deb: recordDeb, rpm: recordRpm, pypi: recordPypi, cargo: recordCargo, go: recordGo, maven: recordMaven, pacman: recordPacman, apk: recordApk };

const asked = process.argv.slice(2);
const unknown = asked.filter((m) => !recorders[m]);
if (unknown.length) {
  process.stderr.write(`unknown mode ${unknown.join(', ')} (known: ${Object.keys(recorders).join(', ')})\n`);
  process.exitCode = 2;
} else {
  try {
    for (const mode of asked.length ? asked : Object.keys(recorders)) {
      await recorders[mode]!();
      process.stdout.write(`recorded conformance/fixtures/${mode}/replay\n`);
    }
  } finally {
    await cleanupAll();
  }
}
