// Recorded upstream exchanges replayed against one built-in mode: no real client or tool runs here. One test
// file a mode (conformance/replay-<mode>.test.ts), so each has its own time budget in the runner.
// Re-record with `node dist/conformance/replay/main.js <mode>` (see the replay READMEs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readdirSync, existsSync } from 'node:fs';
import { runConformance, cleanupAll, repoRoot } from '../index.js';

export function replaySuite(mode: string): void {
  const dir = join(repoRoot, 'conformance/fixtures', mode, 'replay');
  test(`${mode}: recorded scenarios replay with every expectation met`, async () => {
    const scenarios = readdirSync(dir).filter((n) => existsSync(join(dir, n, 'instance.yaml')));
    assert.ok(scenarios.length >= 3, `${mode}: ${scenarios.length} scenarios`);
    const failures = await runConformance(mode, dir);
    assert.equal(failures, [], `${mode} replay failures:\n${failures.join('\n')}`);
  });
  test.after(cleanupAll);
  test.run();
}
