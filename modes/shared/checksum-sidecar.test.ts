import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSidecar, parseSums } from './checksum-sidecar.js';

test('a sidecar states its digest as the first token; the algorithm named must match its length', () => {
  const sha1 = 'A'.repeat(40);
  assert.equal(parseSidecar(`${sha1}  demo-1.0.jar\n`), { algo: 'sha1', hex: 'a'.repeat(40) });
  assert.equal(parseSidecar(`${sha1}\n`, 'sha1'), { algo: 'sha1', hex: 'a'.repeat(40) });
  assert.is(parseSidecar(`${sha1}\n`, 'sha256'), null);
  assert.equal(parseSidecar('b'.repeat(32), 'md5'), { algo: 'md5', hex: 'b'.repeat(32) });
  assert.is(parseSidecar('b'.repeat(32)), null, 'md5 is never guessed from the length');
  assert.equal(parseSidecar(`${'c'.repeat(128)}\n`), { algo: 'sha512', hex: 'c'.repeat(128) });
  assert.is(parseSidecar('<html>not found</html>', 'sha1'), null);
  assert.is(parseSidecar('', 'sha1'), null);
  assert.is(parseSidecar(`${'g'.repeat(40)}`, 'sha1'), null);
});

test('a sums list: the line naming the file, coreutils or BSD', () => {
  assert.equal(parseSums(`${'a'.repeat(64)}  x.zip\nSHA512 (y.zip) = ${'b'.repeat(128)}\n`, 'y.zip'), { algo: 'sha512', hex: 'b'.repeat(128) });
  assert.is(parseSums(`${'a'.repeat(32)}  x.zip\n`, 'x.zip'), null);
});

test.run();
