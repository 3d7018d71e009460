import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withGroupedKinds, type ModeDefinition } from './mode.js';

const flatMode = (kind: Record<string, unknown>) => ({ name: 'flat', contract: 1, kinds: { k: { policy: 'revalidate', ...kind } }, routes: [] }) as unknown as ModeDefinition;

test('a first-DSL flat kind: failoverOn404 becomes upstream.failoverOnStatus [404]; revalidateWith and redirects move with it', () => {
  const k = withGroupedKinds(flatMode({ failoverOn404: true, revalidateWith: 'head', redirects: 'public' })).kinds.k!;
  assert.equal(k.upstream, { revalidateWith: 'head', failoverOnStatus: [404], redirects: 'public' });
  assert.not.ok('failoverOn404' in k);
  const off = withGroupedKinds(flatMode({ failoverOn404: false, revalidateWith: 'get' })).kinds.k!;
  assert.equal(off.upstream, { revalidateWith: 'get' });
});

test('a grouped kind is left as it is', () => {
  const def = flatMode({ upstream: { failoverOnStatus: [404, 410] } });
  assert.is(withGroupedKinds(def), def);
});

test.run();
