import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { defineMode, type Match, type RouteSpec } from '../mode.js';
import type { EngineCtx } from './context.js';
import type { OwnedRequest } from './fill-claim.js';
import { ownerAnswer } from './owned.js';

const inst = { name: 'repo', block: {}, def: { name: 'x' } } as never;
const match = { path: 'dists/stable/InRelease', headers: {} } as unknown as Match;
const rq = { method: 'GET', target: { segments: [], rawSegments: [], trailingSlash: false, query: '' }, headers: { accept: '*/*', 'x-multi': ['a', 'b'] }, body: Buffer.alloc(0), requestId: 'r' };
const spec: RouteSpec = { match: { regex: /^/ }, respond: async () => ({ status: 200 }), owner: (m) => (m.path.startsWith('dists/') ? m.path.split('/').slice(0, 2).join('/') : undefined) };

function ctxWith(answer: 'peer' | 'here'): { ctx: EngineCtx; asked: OwnedRequest[] } {
  const asked: OwnedRequest[] = [];
  const fills = {
    claim: async () => ({ type: 'local' as const }),
    owned: async (r: OwnedRequest) => {
      asked.push(r);
      return answer === 'here' ? null : { status: 200, headers: { 'x-cache': 'GENERATION' }, body: Readable.from([Buffer.from('owner')]), url: 'n', origin: 'n', release: () => undefined };
    },
  };
  return { ctx: { fills, state: { hookContexts: new Map([[inst, {}]]) } } as unknown as EngineCtx, asked };
}

test('a route’s owner key goes to the coordinator with the request as received; the owner’s answer comes back', async () => {
  const { ctx, asked } = ctxWith('peer');
  const out = await ownerAnswer(ctx, inst, spec, match, rq);
  assert.is(out?.status, 200);
  assert.equal(out?.headers, { 'x-cache': 'GENERATION' });
  assert.is(asked.length, 1);
  assert.is(asked[0]!.ownerKey, 'dists/stable');
  assert.equal(asked[0]!.headers, { accept: '*/*', 'x-multi': 'a, b' });
});

test('answered here: the coordinator keeps it, the route names no key, no coordinator, no owner hook', async () => {
  assert.is(await ownerAnswer(ctxWith('here').ctx, inst, spec, match, rq), null);
  const { ctx, asked } = ctxWith('peer');
  assert.is(await ownerAnswer(ctx, inst, spec, { ...match, path: 'pool/a.deb' } as Match, rq), null);
  assert.is(asked.length, 0, 'no owner key: nobody asked');
  assert.is(await ownerAnswer({ state: {} } as unknown as EngineCtx, inst, spec, match, rq), null);
  assert.is(await ownerAnswer(ctx, inst, { ...spec, owner: undefined }, match, rq), null);
  assert.is(asked.length, 0);
});

test('an owner key needs a respond route', () => {
  assert.throws(() => defineMode({ name: 'bad', contract: 1, schema: {}, mount: 'route', kinds: { k: { policy: 'immutable' } }, routes: [{ match: { regex: /^/ }, kind: 'k', owner: () => 'x' }], upstreams: () => [] } as never), /owner key without a respond hook/);
});

test.run();
