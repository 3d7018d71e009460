import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Peers } from './peers.js';
import { ownerOf } from './rendezvous.js';

const A = 'http://a:1', B = 'http://b:1', C = 'http://c:1';
const peers = (changes: string[] = []) => new Peers({ self: A, nodes: [A, B, C], intervalMs: 1000, timeoutMs: 500, downAfter: 2, probe: async () => true, onChange: (n, up) => changes.push(`${n} ${up ? 'up' : 'down'}`) });

test('a peer is down after consecutive failed probes only, and up at its first answer', () => {
  const changes: string[] = [];
  const p = peers(changes);
  assert.equal(p.healthy(), [A, B, C]);
  p.record(B, false); p.record(B, true); p.record(B, false);
  assert.ok(p.isUp(B), 'failures that are not consecutive do not take it down');
  p.record(B, false);
  assert.not.ok(p.isUp(B));
  assert.equal(p.healthy(), [A, C]);
  p.record(B, true);
  assert.equal(p.healthy(), [A, B, C]);
  assert.equal(changes, [`${B} down`, `${B} up`]);
  assert.is(p.changes, 2);
});

test('markDown takes a peer out at once; self never leaves the healthy set', () => {
  const p = peers();
  p.markDown(C, 'ECONNREFUSED');
  assert.equal(p.healthy(), [A, B]);
  assert.is(p.list().find((s) => s.node === C)!.lastError, 'ECONNREFUSED');
  p.markDown(A, 'x');
  p.record(A, false); p.record(A, false);
  assert.ok(p.healthy().includes(A));
});

test('the owner of a key on a down node moves to one of the others, and back when it returns', () => {
  const p = peers();
  const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => ownerOf(k, [A, B, C]) === B)!;
  p.markDown(B, 'gone');
  const moved = ownerOf(key, p.healthy());
  assert.ok(moved === A || moved === C);
  p.record(B, true);
  assert.is(ownerOf(key, p.healthy()), B);
});

test('probes run on the interval against every peer, not self; a probe that throws counts as a failure', async () => {
  const asked: string[] = [];
  const p = new Peers({ self: A, nodes: [A, B, C], intervalMs: 20, timeoutMs: 100, downAfter: 1, probe: async (n) => { asked.push(n); if (n === C) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }); return true; } });
  p.start();
  await new Promise((r) => setTimeout(r, 70));
  p.stop();
  assert.not.ok(asked.includes(A));
  assert.ok(asked.filter((n) => n === B).length >= 2, `asked ${asked.join(' ')}`);
  assert.not.ok(p.isUp(C));
  assert.is(p.list().find((s) => s.node === C)!.lastError, 'ECONNREFUSED');
});

test.run();
