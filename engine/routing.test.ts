import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { classify, compileMatcher, compileRoutes, fillTemplate } from './routing.js';
import type { ModeDefinition } from './mode.js';
import { defineMode } from './mode.js';

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
test('a route may tell a directory-style target (trailing slash) from the same path without one', () => {
  const routes = compileRoutes({ routes: [
    { match: { pattern: 'simple/:n' }, when: (r: { trailingSlash?: boolean }) => r.trailingSlash === true, kind: 'page' },
    { match: { pattern: 'simple/:n' }, status: 404 },
  ] } as unknown as ModeDefinition);
  const req = (trailingSlash?: boolean) => ({ method: 'GET', headers: {}, query: new URLSearchParams(), trailingSlash });
  assert.is(classify(routes, 'simple/x', ['simple', 'x'], req(true))!.route.index, 0);
  assert.is(classify(routes, 'simple/x', ['simple', 'x'], req(false))!.route.index, 1);
  assert.is(classify(routes, 'simple/x', ['simple', 'x'], req())!.route.index, 1, 'unknown counts as no slash');
});

test('a route may tell a directory listing (path ending in /) from a file of the same path', () => {
  const def = defineMode({
    name: 'dirs', contract: 1, schema: {}, mount: 'route', upstreams: () => [],
    kinds: { file: { policy: 'immutable' }, listing: { policy: 'bypass' } },
    routes: [{ match: { glob: '**' }, when: (r) => r.trailingSlash === true, kind: 'listing' }, { match: { glob: '**' }, kind: 'file' }],
  });
  const routes = compileRoutes(def);
  const req = (trailingSlash: boolean) => ({ method: 'GET', headers: {}, query: new URLSearchParams(), trailingSlash });
  assert.is(classify(routes, 'a/b', ['a', 'b'], req(true))?.route.spec.kind, 'listing');
  assert.is(classify(routes, 'a/b', ['a', 'b'], req(false))?.route.spec.kind, 'file');
});
test.run();
