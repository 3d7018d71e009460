import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { transportOf } from './app.js';

test('transportOf: every default comes from the transport schema', () => {
  const t = transportOf({});
  assert.is(t.ua, 'cache-proxy/1');
  assert.is(t.dial_timeout, 3_000);
  assert.is(t.header_timeout, 30_000);
  assert.is(t.idle_body_timeout, 300_000);
  assert.is(t.max_request_duration, 1_800_000);
  assert.is(t.max_idle_conns, 100);
  assert.is(t.max_conns_per_host, 200);
  assert.equal(t.allow_hosts, []);
  assert.is(t.forward_authorization, false);
  assert.equal(t.health, { enabled: true, evaluation_window: 120_000, trip_rate: 0.3, degrade_rate: 0.1, degrade_latency: 2_000, canary_cooldown: 30_000, canary_step: 0.25, min_weight: 0.1, consecutive_failures: 5 });
});

test('transportOf: written values win, the block itself is not changed', () => {
  const block = { transport: { ua: 'x/1', health: { trip_rate: 0.5 } } };
  const t = transportOf(block);
  assert.is(t.ua, 'x/1');
  assert.is(t.health.trip_rate, 0.5);
  assert.is(t.health.consecutive_failures, 5);
  assert.equal(block, { transport: { ua: 'x/1', health: { trip_rate: 0.5 } } });
});

test.run();
