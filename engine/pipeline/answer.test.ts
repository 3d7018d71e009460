import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough, Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fill } from '../cache/fill.js';
import { NegativeCache } from '../cache/negative.js';
import type { Instance, Resolved } from '../instance.js';
import type { KindSpec } from '../mode.js';
import type { EngineCtx } from './context.js';
import { decide } from './decide.js';
import { answerOf } from './answer.js';
import { createPipelineState } from './state.js';
import type { Flight, Work } from './work.js';

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

test('a request that joins a fill holds it until its answer is written: the starter leaving first does not stop it', async () => {
  const body = new PassThrough();
  // a pass-through fill (not stored): it stops as soon as bytes arrive while nobody holds it
  const fill = new Fill({
    body, tempPath: join(tmpdir(), `join-hold-${process.pid}.part`), store: false, detachedBudget: 0,
    commit: () => Promise.reject(new Error('never stored')), isNoSpace: () => false,
  });
  const starter = fill.hold();
  const flight = { outcome: Promise.resolve({ type: 'fill', fill, head: { status: 200, headers: {} }, release: starter }) } as unknown as Flight;
  const spec = { policy: 'immutable' } as KindSpec;
  const inst = { name: 'i', cfg: {}, def: { kinds: { file: spec } } } as unknown as Instance;
  const w = { inst, method: 'GET', kind: 'file', flightKey: 'i/k' } as unknown as Work;
  const ctx = { state: createPipelineState(), log: console } as unknown as EngineCtx;
  const joined = await answerOf(ctx, w, { type: 'join', flight });
  assert.is(joined.type, 'fill');
  starter();
  body.write(Buffer.alloc(64 * 1024, 1));
  await new Promise((r) => setImmediate(r));
  assert.is(fill.state, 'running', 'the joiner still holds it');
  assert.ok(joined.type === 'fill' && joined.release, 'the joiner gives its hold up once written');
  if (joined.type === 'fill') joined.release!();
  body.write(Buffer.alloc(64 * 1024, 2));
  for (const end = Date.now() + 10_000; fill.state === 'running' && Date.now() < end;) await new Promise((r) => setTimeout(r, 5));
  assert.is(fill.state, 'failed', 'held by nobody: stopped');
  body.destroy();
});

test.run();
