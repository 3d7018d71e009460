import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseChallenges, UpstreamAuth, basicHeader } from './auth.js';

test('parseChallenges: quoted values with commas, several challenges, case-folded names', () => {
  const c = parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push", Basic realm=x');
  assert.equal(c, [
    { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
    { scheme: 'basic', params: { realm: 'x' } },
  ]);
  assert.equal(parseChallenges('Basic'), [{ scheme: 'basic', params: {} }]);
  assert.equal(parseChallenges('Bearer realm="a\\"b"'), [{ scheme: 'bearer', params: { realm: 'a"b' } }]);
});

function harness(o: { lifetimeMs?: number; issuedAt?: number } = {}) {
  let now = 1_000_000;
  const calls: string[] = [];
  const auth = new UpstreamAuth({
    now: () => now,
    credentials: (origin) => (origin === 'https://r.example' ? { type: 'basic', username: 'u', password: 'p' } : null),
    get: () => Promise.reject(new Error('unused')),
    allowed: () => true,
    hook: async ({ challenge, scope }) => {
      calls.push(`${challenge.params.realm} ${scope}`);
      await new Promise((r) => setTimeout(r, 5));
      return { header: `Bearer t${calls.length}`, lifetimeMs: o.lifetimeMs, issuedAt: o.issuedAt };
    },
  });
  return { auth, calls, advance: (ms: number) => { now += ms; } };
}
const www = 'Bearer realm="https://auth.example/token",service="svc",scope="repository:a:pull"';

test('bearer: one fetch per scope for concurrent retries; remembered and sent pre-emptively; refreshed after 90 % of the lifetime', async () => {
  const { auth, calls, advance } = harness({ lifetimeMs: 100_000 });
  assert.is(await auth.preemptive('https://r.example', 'repository:a:pull'), undefined, 'nothing known before the first challenge');
  const hs = await Promise.all(Array.from({ length: 5 }, () => auth.retry('https://r.example', www, 'repository:a:pull', undefined)));
  assert.equal(hs, Array(5).fill('Bearer t1'));
  assert.is(calls.length, 1);
  assert.is(await auth.preemptive('https://r.example', 'repository:a:pull'), 'Bearer t1');
  assert.is(await auth.preemptive('https://r.example', 'repository:b:pull'), 'Bearer t2', 'another scope: its own token, fetched before sending');
  advance(89_000);
  assert.is(await auth.preemptive('https://r.example', 'repository:a:pull'), 'Bearer t1');
  advance(2_000);
  assert.is(await auth.preemptive('https://r.example', 'repository:a:pull'), 'Bearer t3');
  assert.is(calls.length, 3);
});

test('bearer: 60 s lifetime when the answer names none; a refused token is replaced once', async () => {
  const { auth, calls, advance } = harness();
  assert.is(await auth.retry('https://r.example', www, undefined, undefined), 'Bearer t1');
  advance(53_000);
  assert.is(await auth.preemptive('https://r.example', 'repository:a:pull'), 'Bearer t1');
  advance(2_000);
  assert.is(await auth.preemptive('https://r.example', 'repository:a:pull'), 'Bearer t2');
  assert.is(await auth.retry('https://r.example', www, undefined, 'Bearer t2'), 'Bearer t3', 'the refused one is dropped');
  assert.is(calls.length, 3);
});

test('basic: answered with the configured credentials, then pre-emptive; nothing for an origin without credentials', async () => {
  const { auth } = harness();
  const h = basicHeader({ type: 'basic', username: 'u', password: 'p' });
  assert.is(await auth.retry('https://r.example', 'Basic realm="x"', undefined, undefined), h);
  assert.is(await auth.preemptive('https://r.example', undefined), h);
  assert.is(await auth.retry('https://r.example', 'Basic realm="x"', undefined, h), undefined, 'the same credentials were refused: no second retry');
  assert.is(await auth.retry('https://other.example', 'Basic realm="x"', undefined, undefined), undefined);
});

test('answers are never shared between origins with different credentials', async () => {
  const calls: string[] = [];
  const auth = new UpstreamAuth({
    credentials: (origin) => (origin === 'https://a.example' ? { type: 'basic', username: 'u', password: 'p' } : null),
    get: () => Promise.reject(new Error('unused')), allowed: () => true,
    hook: async ({ credentials }) => { calls.push(credentials ? 'with' : 'anonymous'); return { header: `Bearer ${calls.length}` }; },
  });
  assert.is(await auth.retry('https://a.example', www, undefined, undefined), 'Bearer 1');
  assert.is(await auth.retry('https://b.example', www, undefined, undefined), 'Bearer 2');
  assert.is(await auth.retry('https://c.example', www, undefined, undefined), 'Bearer 2', 'same (anonymous) credentials, same realm and scope: shared');
  assert.equal(calls, ['with', 'anonymous']);
});

test.run();
