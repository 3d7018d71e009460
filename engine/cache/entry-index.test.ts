import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryIndex } from './entry-index.js';
import { openFsStore } from './fs-store.js';
import type { Entry } from './store.js';

const h = (s: string) => createHash('sha256').update(s).digest('hex');
function entry(inst: string, key: string, blob: string, size: number, expires: string | null): Entry {
  return {
    inst, keyHash: h(key), key, kind: 'file', blob: `sha256:${h(blob)}`, size, status: 200, headers: {}, digests: {}, upstream: 'http://127.0.0.1:1', policy: 'immutable',
    fetched_at: '2026-11-01T00:00:00.000Z', validated_at: '2026-11-01T00:00:00.000Z', last_used_at: '2026-11-02T00:00:00.000Z', expires_at: expires,
  } as Entry;
}

test('an encoded index decodes to the same records, counts, bytes and blob references', () => {
  const a = new EntryIndex();
  a.add(entry('files', 'a', 'x', 10, '2026-12-01T00:00:00.000Z'));
  a.add(entry('files', 'b', 'x', 10, null));
  a.add(entry('npm', 'c', 'y', 7, null));
  const b = new EntryIndex();
  assert.ok(b.decode(a.encode()));
  for (const [inst, key] of [['files', 'a'], ['files', 'b'], ['npm', 'c']] as const) assert.equal(b.get(inst, h(key)), a.get(inst, h(key)));
  assert.is(b.count(), 3);
  assert.is(b.bytes('files'), 20);
  assert.is(b.get('files', h('b'))!.expiresAt, Infinity);
  assert.ok(b.isReferenced(h('x')) && b.isReferenced(h('y')));
  b.remove('files', h('a'));
  assert.ok(b.isReferenced(h('x')), 'x is still referenced by b');
});

test('a truncated or foreign snapshot is refused and loads nothing', () => {
  const a = new EntryIndex();
  a.add(entry('files', 'a', 'x', 10, null));
  const bytes = a.encode();
  const b = new EntryIndex();
  assert.not.ok(b.decode(bytes.subarray(0, bytes.length - 1)));
  assert.not.ok(b.decode(Buffer.from('{"count":1}\n')));
  assert.is(b.count(), 0);
});

test('the store hands a snapshot out once: a crash after start means a full scan next time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idx-'));
  try {
    const store = await openFsStore(dir);
    await store.snapshots.write('entry-index', Buffer.from('abc'));
    assert.equal(await store.snapshots.take('entry-index'), Buffer.from('abc'));
    assert.is(await store.snapshots.take('entry-index'), null);
    await store.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a key is known absent only while the index is complete and not reconciling', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idx-'));
  try {
    const store = await openFsStore(dir);
    const stored = entry('files', 'stored', 'x', 10, null);
    await store.entries.put(stored);
    const a = new EntryIndex();
    assert.not.ok(a.knownAbsent('files', h('other')), 'not before the index is complete');
    await a.rebuild(store);
    assert.ok(a.knownAbsent('files', h('other')));
    assert.not.ok(a.knownAbsent('files', stored.keyHash));
    await store.snapshots.write('entry-index', a.encode('stale fingerprint'));
    const b = new EntryIndex();
    const rebuilding = b.rebuild(store);
    await b.ready;
    assert.not.ok(b.knownAbsent('files', h('other')), 'not while a reconcile pass may still add planted records');
    await rebuilding;
    assert.ok(b.knownAbsent('files', h('other')));
    await store.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('after a snapshot start, a background pass drops records damaged or removed while stopped and adds planted ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idx-'));
  try {
    const store = await openFsStore(dir);
    const kept = entry('files', 'kept', 'x', 10, null), gone = entry('files', 'gone', 'y', 5, null), added = entry('files', 'added', 'z', 3, null);
    await store.entries.put(kept);
    await store.entries.put(gone);
    const a = new EntryIndex();
    await a.rebuild(store);
    assert.is(a.loadedFrom, 'scan');
    await store.snapshots.write('entry-index', a.encode(await store.entries.fingerprint!()));
    const same = new EntryIndex();
    await same.rebuild(store);
    assert.is(same.loadedFrom, 'snapshot', 'nothing changed since the stop: no reconcile pass');
    await store.snapshots.write('entry-index', a.encode(await store.entries.fingerprint!()));
    await new Promise((r) => setTimeout(r, 5));
    await store.entries.delete('files', gone.keyHash);
    await store.entries.put(added);
    const b = new EntryIndex();
    await b.rebuild(store);
    assert.is(b.loadedFrom, 'snapshot+reconcile');
    assert.ok(b.get('files', kept.keyHash) && b.get('files', added.keyHash), 'kept and planted records indexed');
    assert.is(b.get('files', gone.keyHash), undefined, 'a record removed while stopped is dropped');
    assert.not.ok(b.isReferenced(h('y')));
    assert.is(b.bytes('files'), 13);
    await store.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
