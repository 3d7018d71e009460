import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptQuality } from './accept.js';

const NPM = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

test('the most specific matching range gives the quality', () => {
  assert.is(acceptQuality(NPM, 'application/vnd.npm.install-v1+json'), 1);
  assert.is(acceptQuality(NPM, 'application/json'), 0.8);
  assert.is(acceptQuality(NPM, 'application/json; charset=utf-8'), 0.8);
  assert.is(acceptQuality(NPM, 'text/html'), 1, '*/* without q');
  assert.is(acceptQuality('application/*;q=0.5, */*;q=0.1', 'application/json'), 0.5);
  assert.is(acceptQuality('application/*;q=0.5, */*;q=0.1', 'text/plain'), 0.1);
  assert.is(acceptQuality('APPLICATION/JSON;Q=0.3', 'application/json'), 0.3);
});

test('no Accept accepts anything; an unlisted type or q=0 is not acceptable', () => {
  assert.is(acceptQuality(undefined, 'application/json'), 1);
  assert.is(acceptQuality('', 'application/json'), 1);
  assert.is(acceptQuality('text/html', 'application/json'), 0);
  assert.is(acceptQuality('application/json', 'application/vnd.npm.install-v1+json'), 0);
  assert.is(acceptQuality('application/json;q=0, */*', 'application/json'), 0, 'an exact q=0 beats */*');
  assert.is(acceptQuality('application/json;q=bad', 'application/json'), 0);
});

test.run();
