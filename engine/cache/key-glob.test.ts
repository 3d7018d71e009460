import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keyGlob } from './key-glob.js';

test('* spans slashes, ? is one character, the rest is literal and anchored', () => {
  const g = keyGlob('tarball/left-pad/*');
  assert.ok(g.test('tarball/left-pad/-/left-pad-1.3.0.tgz'));
  assert.not.ok(g.test('metadata/left-pad'));
  assert.ok(keyGlob('*').test('anything/at/all?q=1'));
  assert.ok(keyGlob('file/a?c').test('file/abc'));
  assert.not.ok(keyGlob('file/a?c').test('file/abbc'));
  assert.not.ok(keyGlob('file/a.c').test('file/abc'), 'a dot is a dot');
  assert.not.ok(keyGlob('file/a').test('file/ab'), 'anchored');
  assert.ok(keyGlob('x(1)+[2]').test('x(1)+[2]'));
});

test.run();
