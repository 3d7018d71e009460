import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkCluster, clusterSettings } from './config.js';

const nodes = ['http://127.0.0.1:18081', 'http://127.0.0.1:18082/', 'http://127.0.0.1:18083'];
const msgs = (r: { path: (string | number)[]; message: string }[]) => r.map((x) => `${x.path.join('.')}: ${x.message}`);

test('a valid block: no error; settings are origins with durations in ms', () => {
  const r = checkCluster({ self: 'http://127.0.0.1:18082', nodes, redis: 'redis://127.0.0.1:6379' }, '127.0.0.1:18082');
  assert.equal(r.errors, []);
  assert.equal(r.warnings, []);
  const s = clusterSettings({ self: 'http://127.0.0.1:18082', nodes, probe_interval: '1s', probe_timeout: '800ms', down_after: 2, connect_timeout: '1s', lease_ttl: '10s', lease_wait: '30s', redis_timeout: '300ms' });
  assert.equal(s.nodes, ['http://127.0.0.1:18081', 'http://127.0.0.1:18082', 'http://127.0.0.1:18083']);
  assert.is(s.self, 'http://127.0.0.1:18082');
  assert.is(s.probe_timeout, 800);
  assert.is(s.redis, undefined);
});

test('self must be one of nodes; nodes are distinct origins; redis must be a redis URL', () => {
  const r = checkCluster({ self: 'http://127.0.0.1:9999', nodes: [...nodes, 'http://127.0.0.1:18081', 'http://127.0.0.1:18084/x'], redis: 'http://127.0.0.1:6379' }, '127.0.0.1:9999');
  const m = msgs(r.errors);
  assert.ok(m.some((x) => x.startsWith('cluster.self: self http://127.0.0.1:9999 is not one of cluster.nodes')), m.join('\n'));
  assert.ok(m.some((x) => x.startsWith('cluster.nodes.3: node http://127.0.0.1:18081 is listed twice')), m.join('\n'));
  assert.ok(m.some((x) => x.startsWith('cluster.nodes.4: a node is an origin')), m.join('\n'));
  assert.ok(m.some((x) => x.startsWith('cluster.redis: must be a redis:// or rediss:// URL')), m.join('\n'));
});

test("warnings: self's port differs from server.bind's; a cluster of one", () => {
  const w = msgs(checkCluster({ self: nodes[0], nodes }, '127.0.0.1:18080').warnings);
  assert.ok(w.some((x) => x.includes("self's port 18081 is not server.bind's port 18080")), w.join('\n'));
  assert.ok(msgs(checkCluster({ self: nodes[0], nodes: [nodes[0]] }, '127.0.0.1:18081').warnings).some((x) => x.includes('a cluster of one node')));
});

test.run();
