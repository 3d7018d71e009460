import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { DigestMap } from './digest-map.js';

const h = (s: string) => createHash('sha256').update(s).digest('hex');

test('agrees with a Map under random inserts and deletes, across growth and backward-shift deletion', () => {
  let grown = 0;
  const d = new DigestMap(() => { grown++; }, 16);
  const ref = new Map<string, number>();
  let seed = 7;
  const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
  for (let step = 0; step < 60_000; step++) {
    const k = `k${rand(5000)}`, tag = rand(3);
    const key = `${tag}/${k}`;
    if (rand(3) === 0) {
      const id = ref.get(key);
      if (id !== undefined) { d.delete(id); ref.delete(key); }
    } else {
      const r = d.upsert(tag, h(k));
      assert.is(r.created, !ref.has(key));
      if (!r.created) assert.is(r.id, ref.get(key));
      ref.set(key, r.id);
    }
  }
  assert.is(d.size, ref.size);
  assert.ok(grown > 0, 'the id space grew');
  for (const [key, id] of ref) {
    const [tag, k] = key.split('/') as [string, string];
    assert.is(d.find(Number(tag), h(k)), id);
    assert.is(d.hexOf(id), h(k));
    assert.is(d.tagOf(id), Number(tag));
  }
  for (let i = 0; i < 5000; i++) if (!ref.has(`0/k${i}`)) assert.is(d.find(0, h(`k${i}`)), -1);
  assert.is([...d.ids()].length, ref.size);
});

test('refuses what is not a sha256 hex digest', () => {
  const d = new DigestMap();
  assert.is(d.find(0, 'abc'), -1);
  assert.throws(() => d.upsert(0, 'zz'.repeat(32)));
});

test.run();
