import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { indexDir, indexPath, nameOfIndexPath } from './names.js';

test('index layout by name length, directory in the name case, path lower case', () => {
  assert.equal(['a', 'ab', 'abc', 'fx_demo', 'Fx_Mixed'].map(indexDir), ['1', '2', '3/a', 'fx/_d', 'Fx/_M']);
  assert.equal(['a', 'ab', 'abc', 'fx_demo', 'Fx_Mixed'].map(indexPath), ['1/a', '2/ab', '3/a/abc', 'fx/_d/fx_demo', 'fx/_m/fx_mixed']);
});

test('an index path names its crate only when its directory fits the name', () => {
  assert.is(nameOfIndexPath('fx/_d/fx_demo'), 'fx_demo');
  assert.is(nameOfIndexPath('3/a/abc'), 'abc');
  assert.is(nameOfIndexPath('fx/_m/Fx_Mixed'), 'Fx_Mixed');
  assert.is(nameOfIndexPath('fx/de/fx_demo'), null);
  assert.is(nameOfIndexPath('2/abc'), null);
  assert.is(nameOfIndexPath('1/a.b'), null);
  assert.is(nameOfIndexPath(`${'x'.repeat(2)}/${'x'.repeat(2)}/${'x'.repeat(65)}`), null);
});

test.run();
