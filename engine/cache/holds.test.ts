import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBlobHolds } from './holds.js';
import { openFsStore } from './fs-store.js';
import { EntryIndex } from './entry-index.js';
import { blobGc } from './maintenance.js';

test('set replaces an owner\'s holds; add extends them; owners are independent', () => {
  const h = new MemoryBlobHolds();
  h.set('a', ['1', '2']);
  h.add('b', '2');
  h.add('b', '3');
  assert.equal([...h.all()].sort(), ['1', '2', '3']);
  h.set('a', ['4']);
  assert.ok(!h.has('1'));
  assert.ok(h.has('2'), 'still held by b');
  h.set('b', []);
  assert.equal([...h.all()], ['4']);
});

test('blob GC keeps held blobs and deletes the others', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cp-holds-'));
  try {
    const store = await openFsStore(dir);
    const put = async (hex: string) => { const t = store.tempPath(); writeFileSync(t, hex); await store.blobs.commit(t, hex); };
    const kept = 'a'.repeat(64), dropped = 'b'.repeat(64);
    await put(kept); await put(dropped);
    const holds = new MemoryBlobHolds();
    holds.set('inst', [kept]);
    const index = new EntryIndex();
    await index.rebuild(store);
    const r = await blobGc({ store, index, graceMs: 0, now: Date.now() + 1000, extraReferences: async () => holds.all(), inProgress: () => new Set() });
    assert.is(r.deleted, 1);
    assert.ok(await store.blobs.stat(kept));
    assert.is(await store.blobs.stat(dropped), null);
    await store.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
