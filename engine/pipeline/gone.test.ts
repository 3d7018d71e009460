import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meansGone } from './gone.js';

test('404 and 410 always mean gone; a kind adds its own statuses', () => {
  const plain = { policy: 'revalidate' as const };
  const withLegal = { policy: 'revalidate' as const, upstream: { goneStatuses: [451] } };
  assert.equal([404, 410, 451, 403, 500].map((s) => meansGone(plain, s)), [true, true, false, false, false]);
  assert.equal([404, 410, 451, 403].map((s) => meansGone(withLegal, s)), [true, true, true, false]);
});

test.run();
