import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tokenAuth } from './token.js';
import type { UpstreamAuthInput } from '../../engine/mode.js';

function input(realm: string, answer: { status?: number; body: unknown }, creds: UpstreamAuthInput['credentials'] = { type: 'basic', username: 'u', password: 'p' }) {
  const seen: { url: string; headers: Record<string, string> }[] = [];
  const i: UpstreamAuthInput = {
    challenge: { scheme: 'bearer', params: { realm, service: 'svc' } }, scope: 'repository:a/b:pull repository:c:pull', origin: 'https://r.example', credentials: creds,
    get: async (url, headers = {}) => { seen.push({ url, headers }); return { status: answer.status ?? 200, headers: {}, body: Buffer.from(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)) }; },
  };
  return { i, seen };
}

test('GETs the realm with service and every scope; basic credentials over https; token lifetime and issue time', async () => {
  const { i, seen } = input('https://auth.example/token?x=1', { body: { token: 'T', expires_in: 300, issued_at: '2026-01-01T00:00:00Z' } });
  assert.equal(await tokenAuth(i), { header: 'Bearer T', lifetimeMs: 300_000, issuedAt: Date.parse('2026-01-01T00:00:00Z') });
  const u = new URL(seen[0]!.url);
  assert.is(u.searchParams.get('x'), '1');
  assert.is(u.searchParams.get('service'), 'svc');
  assert.equal(u.searchParams.getAll('scope'), ['repository:a/b:pull', 'repository:c:pull']);
  assert.is(seen[0]!.headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
});

test('access_token accepted; 60 s when expires_in is absent; credentials never over plain http to a non-loopback realm', async () => {
  const a = input('http://auth.example/token', { body: { access_token: 'A' } });
  assert.equal(await tokenAuth(a.i), { header: 'Bearer A', lifetimeMs: 60_000, issuedAt: undefined });
  assert.is(a.seen[0]!.headers.authorization, undefined);
  const b = input('http://127.0.0.1:9/token', { body: { token: 'B' } });
  await tokenAuth(b.i);
  assert.ok(b.seen[0]!.headers.authorization, 'loopback realm gets them');
});

const rejects = async (p: Promise<unknown>, re: RegExp) => {
  try { await p; } catch (e) { assert.match((e as Error).message, re); return; }
  assert.unreachable('expected a rejection');
};

test('refusals and garbage are errors; other schemes are not answered', async () => {
  await rejects(tokenAuth(input('https://a.example/t', { status: 401, body: {} }).i), /answered 401/);
  await rejects(tokenAuth(input('https://a.example/t', { body: 'not json' }).i), /no JSON/);
  await rejects(tokenAuth(input('https://a.example/t', { body: { expires_in: 5 } }).i), /no token/);
  const i = input('https://a.example/t', { body: { token: 'x' } }).i;
  assert.is(await tokenAuth({ ...i, challenge: { scheme: 'negotiate', params: {} } }), null);
});

test.run();
