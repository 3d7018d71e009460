import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Instance } from '../instance.js';
import type { EngineCtx } from './context.js';
import { hookContext } from './hook-context.js';
import { createPipelineState } from './state.js';
import { sha256, type Flight, type FlightOutcome } from './work.js';

test('ctx.cache.delete of a key whose fill is still committing waits for the commit, then deletes what it stored', async () => {
  const deleted: string[] = [];
  const state = createPipelineState();
  const ctx = {
    state, log: { debug() {}, info() {}, warn() {}, error() {} }, config: { storage: { cleanup: { dry_run: false, batch_size: 0 } } },
    store: { state: { read: async () => null, write: async () => undefined }, privateDir: () => '', entries: { delete: async (_i: string, k: string) => { deleted.push(k); } } },
    index: { removed: () => undefined },
  } as unknown as EngineCtx;
  const inst = { name: 'i', block: {}, allowedOrigins: new Set() } as unknown as Instance;
  const keyHash = sha256('i\nchecksum/a.jar.sha1');
  let commit!: () => void;
  const done = new Promise<string>((r) => { commit = () => r('stored'); });
  const outcome: FlightOutcome = { type: 'fill', fill: { done } as never, head: { headers: {} }, release: () => undefined };
  state.flights.set(`i/${keyHash}`, { revalidation: false, outcome: Promise.resolve(outcome) } as Flight);
  const deleting = hookContext(ctx, inst).cache.delete('checksum', 'a.jar.sha1');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(deleted, [], 'not before the commit');
  commit();
  await deleting;
  assert.equal(deleted, [keyHash]);
  await hookContext(ctx, inst).cache.delete('checksum', 'other');
  assert.equal(deleted, [keyHash, sha256('i\nchecksum/other')], 'no flight: deleted at once');
});

test.run();
