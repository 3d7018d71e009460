import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { NegativeCache } from '../cache/negative.js';
import type { Instance, Resolved } from '../instance.js';
import type { KindSpec } from '../mode.js';
import type { EngineCtx } from './context.js';
import { decide } from './decide.js';
import { answerOf } from './answer.js';
import type { FillClaim, FillCoordinator } from './fill-claim.js';
import { createPipelineState } from './state.js';
import type { UpstreamResponse, Work } from './work.js';

const small = (status: number, body: string): UpstreamResponse => ({ status, headers: { 'content-type': 'text/plain' }, body: Readable.from([Buffer.from(body)]), url: '', origin: '', release() {} });

function setup(fills: FillCoordinator | undefined) {
  let upstreamRequests = 0;
  const spec = { policy: 'immutable' } as KindSpec;
  const ctx = {
    config: { storage: { offline: false, negative_ttl: 0 } }, state: createPipelineState(), negative: new NegativeCache(), log: console, busyKeys: new Set<string>(),
    index: { added() {}, removed() {}, touched() {}, knownAbsent: () => true },
    upstream: { request: async () => { upstreamRequests++; return small(404, 'upstream'); } },
    fills,
  } as unknown as EngineCtx;
  const inst = { name: 'i', cfg: {}, block: {}, upstreams: ['http://127.0.0.1:9'], allowedOrigins: new Set(), def: { kinds: { file: spec } } } as unknown as Instance;
  const resolved: Resolved = { kind: 'file', spec, policy: 'immutable', freshMs: undefined, busy: 'join', expireMs: Infinity, rule: {} };
  const work = () => ({ inst, method: 'GET', kind: 'file', resolved, key: 'file/a', keyHash: 'k', flightKey: 'i/k', match: { path: 'a', headers: {} }, candidates: ['http://127.0.0.1:9/a'], upstreamHeaders: {} }) as unknown as Work;
  const ask = async () => { const w = work(); return answerOf(ctx, w, await decide(ctx, w)); };
  return { ask, upstream: () => upstreamRequests };
}

test('a miss the coordinator gives to a peer is answered by the peer; the upstream is not asked', async () => {
  let claims = 0;
  const s = setup({ claim: async () => { claims++; return { type: 'peer', resp: small(404, 'from the owner') }; } });
  const [a, b] = await Promise.all([s.ask(), s.ask()]);
  assert.is(claims, 1, 'one claim per flight: the second request joins it');
  assert.is(s.upstream(), 0);
  assert.is(a.type, 'response');
  assert.is(a.type === 'response' && a.body.toString(), 'from the owner');
  assert.is(b.type === 'response' && b.label, 'JOIN');
});

test('a local claim fills here and hears how the fill ended; a throwing coordinator means local', async () => {
  const told: boolean[] = [];
  const s = setup({ claim: async (): Promise<FillClaim> => ({ type: 'local', settled: (stored) => told.push(stored) }) });
  const a = await s.ask();
  assert.is(s.upstream(), 1);
  assert.is(a.type === 'response' && a.status, 404);
  assert.equal(told, [false]);
  const t = setup({ claim: async () => { throw new Error('redis down'); } });
  await t.ask();
  assert.is(t.upstream(), 1);
});

test.run();
