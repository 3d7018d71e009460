import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JsonScanner, JsonSyntaxError, type ScanHit } from './json-scan.js';

function scan(text: string | Buffer, want: (p: readonly string[]) => boolean, chunk = Infinity, o = {}): ScanHit[] {
  const hits: ScanHit[] = [];
  const s = new JsonScanner(want, (h) => hits.push(h), o);
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const step = Math.min(chunk, buf.length || 1);
  for (let i = 0; i < buf.length; i += step) s.write(buf.subarray(i, i + step));
  s.end();
  return hits;
}

const doc = JSON.stringify({
  name: '@fx/demo', 'dist-tags': { latest: '1.0.0' },
  versions: {
    '1.0.0': { name: '@fx/demo', dist: { tarball: 'https://r.example/@fx/demo/-/demo-1.0.0.tgz', integrity: 'sha512-AA==' }, deps: [1, 2.5e3, true, null, { a: 'x\\"y' }] },
    '2.0.0-β': { dist: { tarball: 'https://r.example/x/\u00e9\n"q".tgz' } },
  },
}, null, 1);

test('reports wanted strings with exact offsets, whatever the chunking', () => {
  const want = (p: readonly string[]) => p.length === 4 && p[0] === 'versions' && p[2] === 'dist' && p[3] === 'tarball';
  const expected = scan(doc, want);
  assert.equal(expected.map((h) => h.value), ['https://r.example/@fx/demo/-/demo-1.0.0.tgz', 'https://r.example/x/\u00e9\n"q".tgz']);
  const bytes = Buffer.from(doc);
  for (const h of expected) assert.is(JSON.parse(bytes.subarray(h.start, h.end).toString()), h.value);
  assert.equal(expected[1]!.path, ['versions', '2.0.0-β', 'dist', 'tarball']);
  for (const size of [1, 2, 3, 7, 64]) assert.equal(scan(doc, want, size), expected, `chunk ${size}`);
});

test('top-level values and arrays', () => {
  const hits = scan('{"name":"a","list":["x",{"k":"v"}],"n":-1.5E+3}', (p) => p.length <= 3);
  assert.equal(hits.map((h) => [h.path.join('.'), h.value]), [['name', 'a'], ['list.[]', 'x'], ['list.[].k', 'v']]);
});

test('invalid documents are refused', () => {
  const bad = ['', '{', '{"a":1,}', '{"a" 1}', '[1,2', '{"a":tru}', '{"a":1}}', '{"a":1} x', '{"a":01}', '<html>', '{"a":"unterminated'];
  for (const b of bad) assert.throws(() => scan(b, () => true), (e: unknown) => e instanceof JsonSyntaxError, b);
  assert.throws(() => scan('[1]', () => true, Infinity, { rootObject: true }), /not a JSON object/);
  scan('[]', () => true);
  scan('{}', () => true, Infinity, { rootObject: true });
  scan(' {"a":[[],{}],"b":""} \n', () => true);
});

test('a large document (18 MB, 20,000 versions) scanned in 1 MiB slices finds every tarball', () => {
  const versions: Record<string, unknown> = {};
  for (let i = 0; i < 20000; i++) versions[`1.0.${i}`] = { readme: 'x'.repeat(800), dist: { tarball: `https://r.example/p/-/p-1.0.${i}.tgz`, shasum: 'ab' } };
  const big = Buffer.from(JSON.stringify({ name: 'p', versions }));
  const hits = scan(big, (p) => p[3] === 'tarball', 1 << 20);
  assert.is(hits.length, 20000);
  const last = hits[19999]!;
  assert.is(last.value, 'https://r.example/p/-/p-1.0.19999.tgz');
  assert.is(big.subarray(last.start, last.end).toString(), JSON.stringify(last.value), 'offsets point at the token across slice boundaries');
});

test.run();
