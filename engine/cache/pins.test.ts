import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StatePins } from './pins.js';
import type { StateStore } from './store.js';

test('merge keeps earlier keys, later values win, survives a new store object', async () => {
  const docs = new Map<string, unknown>();
  const st: StateStore = { read: async (n) => docs.get(n) ?? null, write: async (n, d) => { docs.set(n, JSON.parse(JSON.stringify(d))); } };
  const a = new StatePins(st, 'npm');
  await Promise.all([a.merge('pkg', { '1.0.0': { sha1: 'aa' } }), a.merge('pkg', { '1.0.1': { sha1: 'bb' } })]);
  await a.merge('pkg', { '1.0.0': { sha1: 'cc' } });
  assert.equal(await a.get('pkg'), { '1.0.0': { sha1: 'cc' }, '1.0.1': { sha1: 'bb' } });
  const b = new StatePins(st, 'npm');
  assert.equal((await b.get('pkg'))?.['1.0.1'], { sha1: 'bb' });
  assert.is(await b.get('other'), null);
});

test.run();
