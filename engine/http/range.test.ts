import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRange, ifRangeAllows, planRange } from './range.js';

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
test('planRange: conditionals first, then If-Range, then Range', () => {
  const rep = { size: 1000, etag: '"a"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT' };
  assert.equal(planRange({ 'if-none-match': '"a"', range: 'bytes=0-9' }, rep), { type: 'not-modified' });
  assert.equal(planRange({ range: 'bytes=0-9' }, rep), { type: 'part', start: 0, end: 9 });
  assert.equal(planRange({ range: 'bytes=0-9,20-29' }, rep), { type: 'parts', ranges: [{ start: 0, end: 9 }, { start: 20, end: 29 }] });
  assert.equal(planRange({ range: 'bytes=2000-' }, rep), { type: 'unsatisfiable' });
  assert.equal(planRange({ range: 'bytes=0-9', 'if-range': '"old"' }, rep), { type: 'whole' });
  assert.equal(planRange({ range: 'bytes=0-9', 'if-range': '"a"' }, rep), { type: 'part', start: 0, end: 9 });
  assert.equal(planRange({ range: 'bytes=0-9', 'if-range': '"a"' }, { ...rep, stableValidators: false }), { type: 'whole' }, 'a body made per response honours no If-Range');
  assert.equal(planRange({ range: 'bytes=0-9' }, { etag: '"a"' }), { type: 'whole' }, 'size unknown: no ranges');
});
test.run();
