import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptClass, HTML_ACCEPT, JSON_ACCEPT } from './accept.js';

test('Accept classes: JSON when ranked highest, HTML otherwise', () => {
  // what pip sends
  assert.is(acceptClass('application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01', {}), JSON_ACCEPT);
  assert.is(acceptClass('application/vnd.pypi.simple.latest+json', {}), JSON_ACCEPT);
  assert.is(acceptClass('text/html, application/vnd.pypi.simple.v1+json;q=0.5', {}), HTML_ACCEPT);
  assert.is(acceptClass('*/*', {}), HTML_ACCEPT);
  assert.is(acceptClass(undefined, {}), HTML_ACCEPT);
  assert.is(acceptClass('application/vnd.pypi.simple.v1+json;q=0', {}), HTML_ACCEPT);
  assert.is(acceptClass('application/vnd.pypi.simple.v1+json', { proxy_json: false }), HTML_ACCEPT, 'proxy_json: false is always HTML');
});

test.run();
