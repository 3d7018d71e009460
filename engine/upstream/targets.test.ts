import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isPrivateAddress, LearnedTargets } from './targets.js';
import type { StateStore } from '../cache/store.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const memState = (): StateStore & { docs: Map<string, unknown> } => {
  const docs = new Map<string, unknown>();
  return { docs, read: async (n) => docs.get(n) ?? null, write: async (n, d) => { docs.set(n, JSON.parse(JSON.stringify(d))); } };
};

test('private, loopback, link-local and unspecified addresses', () => {
  for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1']) assert.ok(isPrivateAddress(ip), ip);
  for (const ip of ['8.8.8.8', '172.32.0.1', '2001:db8::1']) assert.not.ok(isPrivateAddress(ip), ip);
});

test('a loopback target is refused unless a configured upstream is on loopback too; learned origins persist', async () => {
  const st = memState();
  const pub = new LearnedTargets(st, 'i', new Set(['https://203.0.113.9']), quiet);
  await pub.learn(['http://127.0.0.2:9/x.tgz', 'ftp://203.0.113.10/x']);
  assert.not.ok(pub.has('http://127.0.0.2:9'));
  const lan = new LearnedTargets(st, 'j', new Set(['http://127.0.0.1:5000']), quiet);
  await lan.learn(['http://127.0.0.2:9/a.tgz', 'http://127.0.0.2:9/b.tgz']);
  assert.ok(lan.has('http://127.0.0.2:9'));
  const again = new LearnedTargets(st, 'j', new Set(['http://127.0.0.1:5000']), quiet);
  await again.ready();
  assert.ok(again.has('http://127.0.0.2:9'), 'restored from state');
});

test.run();
