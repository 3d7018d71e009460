import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Health } from './health.js';
import type { HealthConfig } from '../config/types.js';

const cfg: HealthConfig = { enabled: true, evaluation_window: 60_000, trip_rate: 0.5, degrade_rate: 0.2, degrade_latency: 10_000, canary_cooldown: 5_000, canary_step: 0.25, min_weight: 0.05, consecutive_failures: 5 };
const A = 'http://a.example', B = 'http://b.example';

function withClock<T>(run: (set: (t: number) => void) => T): T {
  const real = Date.now;
  let now = 1_000_000;
  Date.now = () => now;
  try { return run((t) => { now = t; }); } finally { Date.now = real; }
}

test('consecutive failures open the breaker: the origin goes last', () => withClock(() => {
  const h = new Health(() => cfg);
  for (let i = 0; i < 4; i++) h.record('i', A, false);
  assert.is(h.state('i', A), 'closed');
  h.record('i', A, false);
  assert.is(h.state('i', A), 'open');
  assert.equal(h.order('i', [A, B]), [B]);
}));

test('the failure rate counts only outcomes inside the evaluation window', () => withClock((set) => {
  const h = new Health(() => cfg);
  // 10 failures, each followed by a success: rate 0.5 would trip, but they age out of the window first
  for (let i = 0; i < 10; i++) { h.record('i', A, false); h.record('i', A, true); }
  assert.is(h.state('i', A), 'open');
  const h2 = new Health(() => cfg);
  set(1_000_000);
  for (let i = 0; i < 4; i++) { h2.record('i', A, false); h2.record('i', A, true); }
  set(1_000_000 + 61_000);
  for (let i = 0; i < 10; i++) h2.record('i', A, true);
  h2.record('i', A, false);
  assert.is(h2.state('i', A), 'closed'); // 1 failure in 11 recent outcomes (with the 4 aged-out failures it would be 5 in 19: degraded)
  for (let i = 0; i < 2; i++) h2.record('i', A, false);
  assert.is(h2.state('i', A), 'degraded'); // 3 in 13 > 0.2
}));

test('many outcomes in one window stay cheap and correct', () => withClock((set) => {
  const h = new Health(() => cfg);
  for (let i = 0; i < 200_000; i++) { set(1_000_000 + i); h.record('i', A, i % 10 !== 0); }
  assert.is(h.state('i', A), 'closed'); // 10 % failures < degrade_rate
}));

test.run();
