import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ownerOf } from './rendezvous.js';

const nodes = ['http://10.0.0.1:18080', 'http://10.0.0.2:18080', 'http://10.0.0.3:18080'];
const keys = Array.from({ length: 30_000 }, (_, i) => `files/${(i * 7919).toString(36)}`);

test('stable: the owner depends on the node set only, not on its order', () => {
  for (const k of keys.slice(0, 500)) {
    const a = ownerOf(k, nodes);
    assert.is(ownerOf(k, [...nodes].reverse()), a);
    assert.is(ownerOf(k, [nodes[1]!, nodes[2]!, nodes[0]!]), a);
  }
  assert.is(ownerOf('x', []), undefined);
  assert.is(ownerOf('x', [nodes[0]!]), nodes[0]);
});

test('about even: each of 3 nodes owns a third of 30 000 keys (±5 %)', () => {
  const count = new Map<string, number>();
  for (const k of keys) { const o = ownerOf(k, nodes)!; count.set(o, (count.get(o) ?? 0) + 1); }
  for (const n of nodes) {
    const share = (count.get(n) ?? 0) / keys.length;
    assert.ok(Math.abs(share - 1 / 3) < 0.05, `${n} owns ${(share * 100).toFixed(1)} %`);
  }
});

test('minimal movement: when a node leaves only its keys move, and they spread over the others', () => {
  const gone = nodes[1]!;
  const rest = nodes.filter((n) => n !== gone);
  let moved = 0;
  const to = new Map<string, number>();
  for (const k of keys) {
    const before = ownerOf(k, nodes)!;
    const after = ownerOf(k, rest)!;
    if (before !== gone) assert.is(after, before, `key ${k} moved from ${before} though it was not on the node that left`);
    else { moved++; to.set(after, (to.get(after) ?? 0) + 1); }
  }
  assert.ok(moved > keys.length * 0.28 && moved < keys.length * 0.38, `moved ${moved}`);
  for (const n of rest) assert.ok((to.get(n) ?? 0) > moved * 0.4, `${n} took ${to.get(n)} of ${moved}`);
  // and a node that joins takes keys only for itself
  const joined = 'http://10.0.0.4:18080';
  for (const k of keys.slice(0, 3000)) {
    const after = ownerOf(k, [...nodes, joined]);
    if (after !== joined) assert.is(after, ownerOf(k, nodes));
  }
});

test.run();
