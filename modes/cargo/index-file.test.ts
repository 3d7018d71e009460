import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { indexCrateFile, versionsOf } from './index-file.js';
import { bodyOf, cargoContext, matchOf } from './testing.js';

const sum = (c: string) => c.repeat(64);
const line = (vers: string, cksum: string, extra = {}) => JSON.stringify({ name: 'Fx_Mixed', vers, deps: [], cksum, features: {}, yanked: false, ...extra });

test('each version pinned with its cksum and the name as spelled, grouped by the lower-case name', async () => {
  const text = `${line('0.1.0', sum('a'))}\n\n${line('0.2.0', sum('b'), { yanked: true })}\n`;
  const r = await indexCrateFile({ body: bodyOf(text), headers: {}, match: matchOf('fx/_m/fx_mixed', { name: 'fx_mixed' }), ctx: cargoContext().ctx });
  assert.equal(r, { pins: [{ group: 'fx_mixed', entries: { '0.1.0': { cksum: sum('a'), name: 'Fx_Mixed' }, '0.2.0': { cksum: sum('b'), name: 'Fx_Mixed' } } }] });
});

test('a file with a line that is not an index entry is refused (an HTML error page answered 200)', () => {
  for (const bad of ['<html><body>oops</body></html>', `${line('0.1.0', sum('a'))}\n{"name":"x","vers":"1"}`, '[1,2]', 'null']) {
    assert.throws(() => versionsOf(bad, 'x'), /nothing was cached/, bad);
  }
  assert.equal(versionsOf('', 'x'), {});
});

test.run();
