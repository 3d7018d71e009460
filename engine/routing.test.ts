import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileMatcher, fillTemplate } from './routing.js';

test('glob matches dot-files and ** spans', () => {
  const f = compileMatcher({ glob: '**/.hidden/*' });
  assert.ok(f('.hidden/file', ['.hidden', 'file']));
  assert.not.ok(f('x/y', ['x', 'y']));
});
test('pattern with optional and rest params', () => {
  const f = compileMatcher({ pattern: '/:scope?/:name/-/*file' });
  assert.equal(f('', ['a', 'b', '-', 'c.tgz']), { scope: 'a', name: 'b', file: 'c.tgz' });
  const g = compileMatcher({ pattern: '/v2/*rest' });
  assert.equal(g('', ['v2', 'x', 'y']), { rest: 'x/y' });
  assert.is(g('', ['v2']), null);
});
test('regex named groups; templates encode per segment', () => {
  const f = compileMatcher({ regex: /^(?<a>[^/]+)\/(?<b>.+)$/ });
  assert.equal(f('x/y/z', []), { a: 'x', b: 'y/z' });
  assert.is(fillTemplate('/p/{{a}}', { a: 'a b/c' }), '/p/a%20b/c');
});
test.run();
