import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { admitApi, apiTarget, cargoError } from './api.js';
import { cargoContext, matchOf } from './testing.js';

test('api requests go to the upstream api base; without one they are 404', async () => {
  const { ctx, groups } = cargoContext();
  assert.equal(await admitApi({ ctx }), { status: 404, message: 'the upstream registry has no api' });
  groups.set('config.json', { upstream: { dl: 'http://d/', api: 'http://api.example/base' } });
  assert.is(await admitApi({ ctx }), 'cache');
  assert.is(await apiTarget(matchOf('api/v1/crates'), ctx), 'http://api.example/base/api/v1/crates');
});

test('errors in the shape cargo prints', () => {
  assert.equal(JSON.parse(cargoError('nope')), { errors: [{ detail: 'nope' }] });
});

test.run();
