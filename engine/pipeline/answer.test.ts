import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { NegativeCache } from '../cache/negative.js';
import type { Instance, Resolved } from '../instance.js';
import type { KindSpec } from '../mode.js';
import type { EngineCtx } from './context.js';
import { decide } from './decide.js';
import { answerOf } from './answer.js';
import { createPipelineState } from './state.js';
import type { Work } from './work.js';

test('requests for one cold key decided in the same turn share one upstream exchange', async () => {
  let requests = 0;
  let answer!: () => void;
  const gate = new Promise<void>((r) => { answer = r; });
  const spec = { policy: 'immutable' } as KindSpec;
  const ctx = {
    config: { storage: { offline: false, negative_ttl: 0 } }, state: createPipelineState(), negative: new NegativeCache(), log: console, busyKeys: new Set<string>(),
    // the index knows the key is not stored: the decision takes no disk read, nothing spaces the requests out
    index: { added() {}, removed() {}, touched() {}, knownAbsent: () => true },
    upstream: { request: async () => { requests++; await gate; return { status: 404, headers: {}, body: Readable.from([Buffer.from('gone')]), url: '', origin: '', release() {} }; } },
  } as unknown as EngineCtx;
  const inst = { name: 'i', cfg: {}, block: {}, upstreams: ['http://127.0.0.1:9'], allowedOrigins: new Set(), def: { kinds: { file: spec } } } as unknown as Instance;
  const resolved: Resolved = { kind: 'file', spec, policy: 'immutable', freshMs: undefined, busy: 'join', expireMs: Infinity, rule: {} };
  const work = () => ({ inst, method: 'GET', kind: 'file', resolved, key: 'file/a', keyHash: 'k', flightKey: 'i/k', match: { path: 'a' }, candidates: ['http://127.0.0.1:9/a'], upstreamHeaders: {} }) as unknown as Work;
  const answers = Promise.all(Array.from({ length: 10 }, async () => { const w = work(); return answerOf(ctx, w, await decide(ctx, w)); }));
  await new Promise((r) => setTimeout(r, 20));
  answer();
  const out = await answers;
  assert.is(requests, 1);
  assert.equal(out.map((a) => a.type), Array(10).fill('response'));
  assert.is(out.filter((a) => 'label' in a && a.label === 'JOIN').length, 9);
});

test.run();
