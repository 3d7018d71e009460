import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptClass, INSTALL_V1, FULL } from './accept.js';

test('Accept classes as npm, pnpm, yarn and curl send them', () => {
  assert.is(acceptClass('application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'), INSTALL_V1);
  assert.is(acceptClass('application/vnd.npm.install-v1+json'), INSTALL_V1);
  assert.is(acceptClass('application/json'), FULL);
  assert.is(acceptClass(undefined), FULL);
  assert.is(acceptClass('*/*'), FULL);
  assert.is(acceptClass('application/vnd.npm.install-v1+json; q=0'), FULL);
  assert.is(acceptClass('application/json; q=1, application/vnd.npm.install-v1+json; q=0.5'), FULL);
  assert.is(acceptClass('APPLICATION/VND.NPM.INSTALL-V1+JSON;q=0.9, application/json;q=0.9'), INSTALL_V1);
});

test.run();
