import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSums } from './checksum.js';

const h = 'a'.repeat(64);
test('coreutils and BSD sums lines', () => {
  assert.equal(parseSums(`${h}  app.zip\n${'b'.repeat(64)} *big.bin\n`, 'big.bin'), { algo: 'sha256', hex: 'b'.repeat(64) });
  assert.equal(parseSums(`SHA512 (dir/app.zip) = ${'c'.repeat(128)}\n`, 'app.zip'), { algo: 'sha512', hex: 'c'.repeat(128) });
  assert.is(parseSums(`${h}  other\n`, 'app.zip'), null);
  assert.equal(parseSums(`${'d'.repeat(40)}  x\n`, 'x'), { algo: 'sha1', hex: 'd'.repeat(40) });
});
test.run();
