import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { modeCounter, modeGauge, registry } from './metrics.js';

test('a mode gauge is get-or-create by name and set outright', async () => {
  const a = modeGauge('cache_proxy_test_gauge_seconds', 'test gauge', ['instance']);
  a.set({ instance: 'x' }, 5);
  modeGauge('cache_proxy_test_gauge_seconds', 'test gauge', ['instance']).set({ instance: 'x' }, 7);
  const text = await registry.metrics();
  assert.ok(text.includes('cache_proxy_test_gauge_seconds{instance="x"} 7'), text.split('\n').filter((l) => l.includes('test_gauge')).join('\n'));
  modeCounter('cache_proxy_test_counter_total', 'test counter', ['instance']);
  assert.throws(() => modeGauge('cache_proxy_test_counter_total', 'x', ['instance']), /another type/);
  assert.throws(() => modeGauge('other_name', 'x', []), /must match/);
});

test.run();
