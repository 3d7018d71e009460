import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { m } from '../../metrics.js';
import { MetricHistory } from './history.js';

test('MetricHistory: cumulative counters per instance, a bounded ring, and a live sample at the end', async () => {
  let now = 1_000;
  const h = new MetricHistory({ intervalMs: 1000, size: 3, now: () => now });
  m.requests.inc({ instance: 'hist', mode: 'file', kind: 'file', method: 'GET', cache: 'MISS', status: '200' }, 2);
  m.requests.inc({ instance: 'hist', mode: 'file', kind: 'file', method: 'GET', cache: 'HIT', status: '200' }, 3);
  m.responseBytes.inc({ instance: 'hist', kind: 'file', cache: 'HIT' }, 300);
  m.upstreamHealth.set({ instance: 'hist', upstream: 'up.example' }, 2);
  for (let i = 0; i < 5; i++) { await h.sample(); now += 1000; }
  m.requests.inc({ instance: 'hist', mode: 'file', kind: 'file', method: 'GET', cache: 'HIT', status: '200' }, 1);
  const doc = await h.doc();
  assert.is(doc.samples.length, 4, 'three kept, one live');
  assert.equal(doc.samples.map((s) => s.at), [3_000, 4_000, 5_000, 6_000]);
  assert.is(doc.samples.at(-1)!.live, true);
  assert.equal(doc.samples[0]!.instances.hist, { requests: 5, hits: 3, bytes_served: 300, upstream_requests: 0, upstream_errors: 0, health: { 'up.example': 2 } });
  assert.is(doc.samples.at(-1)!.instances.hist!.requests, 6);
  assert.is(doc.samples.at(-1)!.instances.hist!.hits, 4);
});

test.run();
