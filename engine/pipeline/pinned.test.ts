import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Instance } from '../instance.js';
import type { HookContext, Match, PinnedBy } from '../mode.js';
import type { EngineCtx } from './context.js';
import { stateOf } from './instance-state.js';
import { learnPin, pinnedExpectation, pinnedRoute } from './pinned.js';
import { createPipelineState } from './state.js';

const noop = () => undefined;
const noHook = () => ({}) as HookContext;
const match = (version: string): Match => ({ method: 'GET', path: `pkg/-/pkg-${version}.tgz`, headers: {}, query: new URLSearchParams(), params: { version }, segments: [], trailingSlash: false, config: {} });

// a package document pins each version's sha256 and fill target; `published` is what the document would say
function setup(published: Record<string, string>) {
  const docs = new Map<string, unknown>();
  const fetched: { path: string; headers?: Record<string, string> }[] = [];
  const inst = { name: 'npm', allowedOrigins: new Set<string>() } as unknown as Instance;
  const ctx = {
    state: createPipelineState(), log: { debug: noop, info: noop, warn: noop, error: noop },
    store: { state: { read: async (n: string) => docs.get(n) ?? null, write: async (n: string, d: unknown) => { docs.set(n, d); } } },
    fetchThrough: async (_i: Instance, path: string, headers?: Record<string, string>) => {
      fetched.push({ path, headers });
      // the pinning document's index hook records its pins
      await stateOf(ctx, inst).pins.merge('pkg', Object.fromEntries(Object.entries(published).map(([v, sha256]) => [v, { sha256, tarball: `files/pkg-${v}.tgz` }])));
      return { status: 200, body: Buffer.alloc(0) };
    },
  } as unknown as EngineCtx;
  return { ctx, inst, fetched };
}

const by: PinnedBy = {
  pin: (m) => ({ group: 'pkg', key: m.params.version! }),
  source: () => ({ path: 'pkg', headers: { accept: 'application/json' } }),
  expected: (pin) => (pin.sha256 ? { sha256: pin.sha256, source: 'pkg' } : null),
  target: (pin) => pin.tarball,
};

/** the route's two answers asked apart: the fill target alone, the 404 alone (the other concern left out) */
const pinnedTarget = async (ctx: EngineCtx, inst: Instance, b: PinnedBy, m: Match, hook: () => HookContext) => (await pinnedRoute(ctx, inst, { ...b, unknown: undefined }, m, hook)).target;
const unknownPin = async (ctx: EngineCtx, inst: Instance, b: PinnedBy, m: Match) => (await pinnedRoute(ctx, inst, { ...b, target: undefined }, m, noHook)).notFound;

test('a missing pin is learned through the pinning document, once; a stored one is used as is', async () => {
  const { ctx, inst, fetched } = setup({ '1.0.0': 'aa' });
  assert.equal(await pinnedExpectation(ctx, inst, by, match('1.0.0')), { sha256: 'aa', source: 'pkg' });
  assert.equal(fetched, [{ path: 'pkg', headers: { accept: 'application/json' } }]);
  assert.is(await pinnedTarget(ctx, inst, by, match('1.0.0'), noHook), 'files/pkg-1.0.0.tgz');
  assert.is(fetched.length, 1, 'the stored pin answers');
});

test('a pin the document does not name: served without storing (skip)', async () => {
  const { ctx, inst, fetched } = setup({ '1.0.0': 'aa' });
  assert.equal(await pinnedExpectation(ctx, inst, by, match('2.0.0')), { skip: true });
  assert.is(fetched.length, 1);
  assert.is(await learnPin(ctx, inst, { ...by, pin: () => null }, match('1.0.0')), undefined, 'no pin to look for: nothing fetched');
  assert.is(fetched.length, 1);
});

test('a stored pin without a usable digest is learned again', async () => {
  const { ctx, inst, fetched } = setup({ '1.0.0': 'bb' });
  await stateOf(ctx, inst).pins.merge('pkg', { '1.0.0': { tarball: 'x' } });
  assert.equal(await pinnedExpectation(ctx, inst, by, match('1.0.0')), { sha256: 'bb', source: 'pkg' });
  assert.is(fetched.length, 1);
});

test('a pin that stays unknown: kept unverified when the kind says so', async () => {
  const { ctx, inst } = setup({ '1.0.0': 'aa' });
  assert.equal(await pinnedExpectation(ctx, inst, { ...by, unknown: () => 'store' }, match('2.0.0')), { skip: true, keep: true });
  assert.equal(await pinnedExpectation(ctx, inst, { ...by, unknown: () => 'skip' }, match('2.0.0')), { skip: true });
});

test('unknown: a version the source does not name is 404 after one fetch of the source; a named one passes', async () => {
  const { ctx, inst, fetched } = setup({ '1.0.0': 'aa' });
  const strict: PinnedBy = { ...by, unknown: (m) => ({ notFound: `no version ${m.params.version}` }) };
  assert.is(await unknownPin(ctx, inst, strict, match('2.0.0')), 'no version 2.0.0');
  assert.is(fetched.length, 1, 'the source was fetched once');
  assert.is(await unknownPin(ctx, inst, strict, match('1.0.0')), undefined);
  assert.is(fetched.length, 1, 'the stored pin answers');
  assert.is(await unknownPin(ctx, inst, by, match('3.0.0')), undefined, 'without `unknown` nothing is refused');
  assert.is(await unknownPin(ctx, inst, { ...by, unknown: () => 'store' }, match('3.0.0')), undefined, "'store' refuses nothing");
  assert.is(fetched.length, 1);
});

test('target: may be async and reads facts through the hook context it is given', async () => {
  const { ctx, inst } = setup({ '1.0.0': 'aa' });
  const hook = () => ({ instance: 'cargo' }) as HookContext;
  const viaCtx: PinnedBy = { ...by, target: async (pin, _m, c) => `${c.instance}/${pin.tarball}` };
  assert.is(await pinnedTarget(ctx, inst, viaCtx, match('1.0.0'), hook), 'cargo/files/pkg-1.0.0.tgz');
});

test.run();
