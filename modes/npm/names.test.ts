import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NAME, upstreamName, tarballVersion, canonicalTarball, isSemver } from './names.js';

const re = new RegExp(`^${NAME}$`);

test('names: plain and scoped accepted, leading dot/underscore and unsafe characters refused', () => {
  for (const n of ['lodash', '@fx/demo', 'JSONStream', 'a-b.c', '@_private/x', "fx~*'()!"]) assert.ok(re.test(n), n);
  for (const n of ['.hidden', '_under', '@fx/_x', '@fx', 'a b', 'a%b', '@/x', 'a/b', '@fx/a/b', 'é']) assert.not.ok(re.test(n), n);
});

test('registry spellings', () => {
  assert.is(upstreamName('@fx/demo'), '@fx%2fdemo');
  assert.is(upstreamName('left-pad'), 'left-pad');
  assert.is(tarballVersion('@fx/demo', 'demo-1.2.3-beta.1.tgz'), '1.2.3-beta.1');
  assert.is(tarballVersion('fx-a', 'fx-b-1.0.0.tgz'), null);
  assert.is(canonicalTarball('http://h/npm', '@fx/demo', '1.0.0+b'), 'http://h/npm/@fx/demo/-/demo-1.0.0%2Bb.tgz');
  assert.ok(isSemver('1.0.0-rc.1+x')); assert.not.ok(isSemver('latest'));
});

test.run();
