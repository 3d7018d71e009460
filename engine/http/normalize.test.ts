import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normaliseTarget, BadRequest } from './normalize.js';

const status = (t: string, m = 'GET') => { try { normaliseTarget(t, m); return 200; } catch (e) { return (e as BadRequest).status; } };

test('traversal in every spelling is refused', () => {
  for (const t of ['/npm/../x', '/npm/%2e%2e/x', '/npm/%2E%2e%2fx', '/npm/..%2fx', '/npm/%252e%252e/x', '/a/./b', '/a\\b', '/a%5cb', '/a%00b', '/a%zz', '/a%e2%28%a1', '/a%4'])
    assert.is(status(t), 400, t);
});
test('absolute-form, asterisk and CONNECT', () => {
  assert.is(status('http://other.example/'), 400);
  assert.is(status('*', 'OPTIONS'), 400);
  assert.is(status('a:443', 'CONNECT'), 405);
});
test('encoded slash becomes a separator; runs of / collapse; trailing slash flag', () => {
  const n = normaliseTarget('/npm/@scope%2fname//x/?a=1', 'GET');
  assert.equal(n.segments, ['npm', '@scope', 'name', 'x']);
  assert.is(n.trailingSlash, true);
  assert.is(n.query, 'a=1');
});
test('literal "." segments: dropped and counted only when asked; "%2e" and ".." still refused', () => {
  const n = normaliseTarget('/deb/flat/./InRelease', 'GET', { dropDotSegments: true });
  assert.equal(n.segments, ['deb', 'flat', 'InRelease']);
  assert.equal(n.rawSegments, ['deb', 'flat', 'InRelease']);
  assert.is(n.dotSegments, 1);
  const s = (t: string) => { try { normaliseTarget(t, 'GET', { dropDotSegments: true }); return 200; } catch (e) { return (e as BadRequest).status; } };
  for (const t of ['/a/%2e/b', '/a/../b', '/a/%2e%2e/b']) assert.is(s(t), 400, t);
});
test('long paths → 414', () => {
  assert.is(status('/' + 'a/'.repeat(300)), 414);
});
test.run();
