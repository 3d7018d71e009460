import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configReference, spliceReference } from './reference.js';
import { builtinModes } from '../modes/index.js';
import { packageRoot } from '../engine/paths.js';

test('the README configuration reference is generated from the schemas and up to date', () => {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  const ref = configReference(builtinModes);
  assert.ok(ref.includes('`storage.download.max_active_per_host`'));
  assert.ok(ref.includes('`file_policy`'));
  assert.is(spliceReference(readme, ref), readme, 'run `node bin/cache-proxy.js docs config --write` and commit README.md');
});
test.run();
