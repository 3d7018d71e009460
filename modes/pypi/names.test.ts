import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isDistribution, normalizeName, projectOfFile } from './names.js';

test('PEP 503 normalisation collapses every run of separators', () => {
  assert.is(normalizeName('Demo.Name_Mixed'), 'demo-name-mixed');
  assert.is(normalizeName('a__b--c..d-_.e'), 'a-b-c-d-e');
  assert.is(normalizeName('demo-lib'), 'demo-lib');
});

test('the project of a distribution file', () => {
  assert.is(projectOfFile('demo_util-1.0-py3-none-any.whl'), 'demo-util');
  assert.is(projectOfFile('Demo.Name_Mixed-2.0.tar.gz'), 'demo-name-mixed');
  assert.is(projectOfFile('demo_name_mixed-2.0-py3-none-any.whl'), 'demo-name-mixed');
  assert.is(projectOfFile('my-pkg-name-1.2.3.zip'), 'my-pkg-name');
  assert.is(projectOfFile('meta-data'), null);
  assert.is(projectOfFile('x.whl.metadata'), null);
  assert.ok(isDistribution('a-1.tar.bz2'));
  assert.not.ok(isDistribution('a-1.whl.asc'));
});

test.run();
