import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NegativeCache } from '../cache/negative.js';
import type { Entry } from '../cache/store.js';
import type { Instance, Resolved } from '../instance.js';
import type { KindSpec } from '../mode.js';
import type { EngineCtx } from './context.js';
import { decide } from './decide.js';
import { createPipelineState } from './state.js';
import type { Flight, Work } from './work.js';

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

function entry(validatedAgoMs = 0): Entry {
  const now = Date.now();
  return {
    inst: 'i', keyHash: 'k', key: 'file/a', kind: 'file', blob: 'sha256:b', size: 3, status: 200, headers: {}, digests: {}, policy: 'revalidate',
    fetched_at: iso(now - validatedAgoMs), validated_at: iso(now - validatedAgoMs), last_used_at: iso(now), expires_at: null,
  };
}

interface Case { policy?: Resolved['policy']; busy?: Resolved['busy']; freshMs?: number; stored?: Entry; flight?: boolean; negative?: boolean; offline?: boolean; method?: 'GET' | 'HEAD'; kind?: Partial<KindSpec> }

async function decided(c: Case) {
  const spec = { policy: c.policy ?? 'revalidate', ...c.kind } as KindSpec;
  const state = createPipelineState();
  const negative = new NegativeCache();
  const ctx = {
    config: { storage: { offline: c.offline ?? false, cleanup: { dry_run: false, batch_size: 0 } } }, state, negative, log: console,
    index: { added() {}, removed() {}, touched() {} },
    store: { entries: { get: async () => c.stored ?? null }, blobs: { stat: async () => ({ size: 3 }) }, state: { read: async () => null, write: async () => undefined }, privateDir: () => '' },
  } as unknown as EngineCtx;
  const inst = { name: 'i', cfg: {}, block: {}, def: { kinds: { file: spec } } } as unknown as Instance;
  const resolved: Resolved = { kind: 'file', spec, policy: c.policy ?? 'revalidate', freshMs: c.freshMs, busy: c.busy ?? 'join', expireMs: Infinity, rule: {} };
  const w = { inst, method: c.method ?? 'GET', kind: 'file', resolved, key: 'file/a', keyHash: 'k', flightKey: 'i/k', match: { path: 'a' } } as unknown as Work;
  const flight: Flight = { revalidation: !!c.stored, outcome: new Promise(() => undefined) };
  if (c.flight) state.flights.set('i/k', flight);
  if (c.negative) negative.set('i/k', { status: 404, body: Buffer.alloc(0), expiresAt: Date.now() + HOUR });
  const a = await decide(ctx, w);
  return { ...a, ...('flight' in a ? { flight: a.flight === flight } : {}), ...('entry' in a ? { entry: !!a.entry } : {}), ...('stale' in a && a.stale ? { stale: true } : {}) };
}

test('a stored immutable entry is a HIT; a fresh one FRESH; a stale one is refreshed', async () => {
  assert.equal(await decided({ policy: 'immutable', stored: entry(10 * HOUR) }), { type: 'entry', entry: true, label: 'HIT' });
  assert.equal(await decided({ freshMs: HOUR, stored: entry(1000) }), { type: 'entry', entry: true, label: 'FRESH' });
  assert.equal(await decided({ freshMs: HOUR, stored: entry(2 * HOUR) }), { type: 'fetch', label: 'REFRESH', stale: true });
});

test('a stale entry with a flight running: busy policy stale, bypass or join', async () => {
  assert.equal(await decided({ freshMs: 0, stored: entry(HOUR), flight: true, busy: 'stale' }), { type: 'entry', entry: true, label: 'STALE' });
  assert.equal(await decided({ freshMs: 0, stored: entry(HOUR), flight: true, busy: 'bypass' }), { type: 'bypass', label: 'BYPASS' });
  assert.equal(await decided({ freshMs: 0, stored: entry(HOUR), flight: true, busy: 'join' }), { type: 'join', flight: true, stale: true });
});

test('a miss: join a running flight, probe for HEAD, else fetch', async () => {
  assert.equal(await decided({ flight: true }), { type: 'join', flight: true });
  assert.equal(await decided({ flight: true, busy: 'bypass' }), { type: 'bypass', label: 'BYPASS' });
  assert.equal(await decided({ flight: true, busy: 'bypass', policy: 'immutable' }), { type: 'join', flight: true }, 'immutable content is always joined');
  assert.equal(await decided({ method: 'HEAD' }), { type: 'probe' });
  assert.equal(await decided({ method: 'HEAD', kind: { body: { rewrite: async (i) => ({ body: i.body }) } } }), { type: 'fetch', label: 'MISS' }, 'a rewritten body has no upstream head to pass on');
  assert.equal(await decided({}), { type: 'fetch', label: 'MISS' });
});

test('bypass policy, remembered 404s and offline', async () => {
  assert.equal(await decided({ policy: 'bypass', stored: entry() }), { type: 'bypass', label: 'BYPASS' });
  assert.equal((await decided({ negative: true })).type, 'negative');
  assert.equal(await decided({ offline: true, policy: 'bypass', freshMs: 0, stored: entry(HOUR) }), { type: 'entry', entry: true, label: 'STALE' });
  assert.equal(await decided({ offline: true, negative: true }), { type: 'alternate', otherwise: { status: 504, message: 'offline: not cached' } });
});

test('admission: pass is a PASSTHROUGH (unless offline), an error answer fails before any lookup', async () => {
  const pass: Partial<KindSpec> = { cache: { admit: async () => 'pass' as const } };
  const refuse: Partial<KindSpec> = { cache: { admit: async () => ({ status: 403, message: 'no' }) } };
  assert.equal(await decided({ kind: pass, stored: entry() }), { type: 'bypass', label: 'PASSTHROUGH' });
  assert.equal(await decided({ kind: pass, offline: true, freshMs: Infinity, stored: entry() }), { type: 'entry', entry: true, label: 'HIT' });
  assert.equal(await decided({ kind: refuse, stored: entry() }), { type: 'fail', failure: { status: 403, message: 'no' } });
});

test('reverify: a stored entry whose recorded pin differs from the current one is fetched again; the same pin is a HIT', async () => {
  const kind = (pin: string) => ({ cache: { reverify: true }, body: { verify: async () => ({ size: 3, pin }) } }) as unknown as Partial<KindSpec>;
  const pinned = (pin?: string): Entry => ({ ...entry(), policy: 'immutable', ...(pin ? { meta: { pin } } : {}) });
  assert.equal(await decided({ policy: 'immutable', stored: pinned('check:a'), kind: kind('check:a') }), { type: 'entry', entry: true, label: 'HIT' });
  assert.equal(await decided({ policy: 'immutable', stored: pinned('check:a'), kind: kind('check:b') }), { type: 'fetch', label: 'MISS' }, 'same size, another pin: a rebuilt file');
  assert.equal(await decided({ policy: 'immutable', stored: pinned(), kind: kind('check:a') }), { type: 'fetch', label: 'MISS' }, 'a copy stored with no pin is not trusted');
});

test.run();
