import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRange, ifRangeAllows } from './range.js';

test('single, suffix, open', () => {
  assert.equal(parseRange('bytes=100-199', 1000), { type: 'ranges', ranges: [{ start: 100, end: 199 }] });
  assert.equal(parseRange('bytes=-100', 1000), { type: 'ranges', ranges: [{ start: 900, end: 999 }] });
  assert.equal(parseRange('bytes=990-', 1000), { type: 'ranges', ranges: [{ start: 990, end: 999 }] });
});
test('unsatisfiable, malformed, overlapping', () => {
  assert.equal(parseRange('bytes=999999999-', 1000), { type: 'unsatisfiable' });
  assert.equal(parseRange('bytes=abc', 1000), { type: 'none' });
  assert.equal(parseRange('bytes=0-10,5-20', 1000), { type: 'none' });
});
test('If-Range', () => {
  assert.ok(ifRangeAllows('"a"', '"a"', undefined));
  assert.not.ok(ifRangeAllows('"old"', '"a"', undefined));
});
test.run();
