import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NegativeCache, type NegativeRecord } from '../cache/negative.js';
import type { EngineCtx } from './context.js';
import { meansGone, rememberGone, sharedGone } from './gone.js';
import type { Work } from './work.js';

test('404 and 410 always mean gone; a kind adds its own statuses', () => {
  const plain = { policy: 'revalidate' as const };
  const withLegal = { policy: 'revalidate' as const, upstream: { goneStatuses: [451] } };
  assert.equal([404, 410, 451, 403, 500].map((s) => meansGone(plain, s)), [true, true, false, false, false]);
  assert.equal([404, 410, 451, 403].map((s) => meansGone(withLegal, s)), [true, true, true, false]);
});

function engine(ttl: number, withShared = true) {
  const shared = new Map<string, NegativeRecord>();
  const negatives = { get: async (k: string) => shared.get(k), put: (k: string, r: NegativeRecord) => { shared.set(k, r); } };
  const ctx = { config: { storage: { negative_ttl: ttl } }, negative: new NegativeCache(), fills: withShared ? { claim: async () => ({ type: 'local' }), negatives } : undefined } as unknown as EngineCtx;
  return { ctx, shared };
}
const w = { inst: { cfg: {} }, flightKey: 'npm/abc' } as unknown as Work;

test('a gone answer is remembered here and shared; one relayed from another process is not shared again; ttl 0 remembers nothing', async () => {
  const a = engine(5000);
  rememberGone(a.ctx, w, { status: 404, body: Buffer.from('x') });
  assert.is(a.ctx.negative.get('npm/abc')?.status, 404);
  assert.is(a.shared.get('npm/abc')?.status, 404);
  const b = engine(5000);
  rememberGone(b.ctx, w, { status: 404, body: Buffer.alloc(0) }, false);
  assert.ok(b.ctx.negative.get('npm/abc'));
  assert.is(b.shared.size, 0);
  const c = engine(0);
  rememberGone(c.ctx, w, { status: 404, body: Buffer.alloc(0) });
  assert.is(c.ctx.negative.get('npm/abc'), undefined);
  assert.is(c.shared.size, 0);
});

test('a shared gone answer is found before a miss and remembered here; an expired one or no coordinator finds nothing', async () => {
  const a = engine(5000);
  assert.is(await sharedGone(a.ctx, w), undefined);
  a.shared.set('npm/abc', { status: 410, body: Buffer.alloc(0), expiresAt: Date.now() + 1000 });
  assert.is((await sharedGone(a.ctx, w))?.status, 410);
  assert.is(a.ctx.negative.get('npm/abc')?.status, 410);
  const b = engine(5000);
  b.shared.set('npm/abc', { status: 404, body: Buffer.alloc(0), expiresAt: Date.now() - 1 });
  assert.is(await sharedGone(b.ctx, w), undefined);
  assert.is(await sharedGone(engine(5000, false).ctx, w), undefined);
});

test.run();
