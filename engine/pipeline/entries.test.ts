import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Entry } from '../cache/store.js';
import type { EngineCtx } from './context.js';
import { lookup } from './entries.js';
import { createPipelineState } from './state.js';
import type { Work } from './work.js';

const hash = (c: string) => c.repeat(64);
const work = (keyHash: string) => ({ inst: { name: 'i' }, keyHash, flightKey: `i/${keyHash}` }) as unknown as Work;

/** an engine on a shared store whose record reads take a while and are counted */
function sharedCtx(records: Map<string, Entry>) {
  const reads: string[] = [];
  const ctx = {
    state: createPipelineState(),
    index: { knownAbsent: () => true, removed: () => undefined },
    store: {
      shared: true,
      entries: { get: async (_inst: string, keyHash: string) => { reads.push(keyHash); await new Promise((r) => setTimeout(r, 30)); return records.get(keyHash) ?? null; } },
      blobs: { stat: async () => ({ size: 5 }) },
    },
  } as unknown as EngineCtx;
  return { ctx, reads };
}

test('a shared store: requests for one key at once share one record read; a found record is then served from memory', async () => {
  const k = hash('a');
  const e = { inst: 'i', keyHash: k, blob: `sha256:${hash('b')}`, size: 5, expires_at: null } as unknown as Entry;
  const { ctx, reads } = sharedCtx(new Map([[k, e]]));
  const found = await Promise.all(Array.from({ length: 20 }, () => lookup(ctx, work(k))));
  assert.ok(found.every((x) => x === e), 'every request got the record');
  assert.equal(reads, [k], 'one read for 20 requests');
  assert.is(await lookup(ctx, work(k)), e);
  assert.is(reads.length, 1, 'known now: no read');
});

test('a shared store: a key nobody stored is read once per wave, and asked again later (another node may store it)', async () => {
  const k = hash('c'), other = hash('d');
  const { ctx, reads } = sharedCtx(new Map());
  const wave = await Promise.all([...Array.from({ length: 10 }, () => lookup(ctx, work(k))), lookup(ctx, work(other))]);
  assert.ok(wave.every((x) => x === null));
  assert.equal(reads.sort(), [k, other].sort(), 'one read per key');
  assert.is(await lookup(ctx, work(k)), null);
  assert.is(reads.length, 3, 'an absence is not remembered on a shared store');
});

test.run();
