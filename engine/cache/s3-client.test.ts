import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { retryFor, isNotFound } from './s3-client.js';

test('retryFor: retries until success within the bound', async () => {
  let n = 0;
  const seen: number[] = [];
  const r = await retryFor(async () => { if (++n < 3) throw new Error('down'); return 'ok'; }, { forMs: 5000, firstDelayMs: 10, onRetry: (_e, a) => seen.push(a) });
  assert.is(r, 'ok');
  assert.is(n, 3);
  assert.equal(seen, [1, 2]);
});

test('retryFor: gives up with the last error once the bound is reached', async () => {
  let n = 0;
  const started = Date.now();
  try {
    await retryFor(async () => { n++; throw new Error(`down ${n}`); }, { forMs: 200, firstDelayMs: 20, maxDelayMs: 40 });
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.match((e as Error).message, /^down \d+$/);
  }
  assert.ok(n >= 3, `attempts ${n}`);
  assert.ok(Date.now() - started < 2000);
});

test('isNotFound recognises the SDK shapes', () => {
  assert.ok(isNotFound({ name: 'NotFound' }));
  assert.ok(isNotFound({ name: 'NoSuchKey' }));
  assert.ok(isNotFound({ name: 'X', $metadata: { httpStatusCode: 404 } }));
  assert.not.ok(isNotFound({ name: 'TimeoutError' }));
  assert.not.ok(isNotFound(undefined));
});

test.run();
