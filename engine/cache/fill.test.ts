import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { mkdtempSync, rmSync, existsSync, readFileSync, renameSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Fill, readFromFill, type ReadSink } from './fill.js';

const dir = mkdtempSync(join(tmpdir(), 'fill-test-'));
let n = 0;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function slowBody(data: Buffer, chunk = 64 * 1024, delayMs = 1, cut?: number): Readable {
  return Readable.from((async function* () {
    for (let o = 0; o < (cut ?? data.length); o += chunk) {
      await new Promise((r) => setTimeout(r, delayMs));
      yield data.subarray(o, Math.min(o + chunk, cut ?? data.length));
    }
  })());
}
function sink(): ReadSink & { bytes(): Buffer } {
  const parts: Buffer[] = [];
  return { write: async (b) => { parts.push(Buffer.from(b)); }, closed: () => false, bytes: () => Buffer.concat(parts) };
}
function fill(data: Buffer, extra: Partial<ConstructorParameters<typeof Fill>[0]> = {}, cut?: number) {
  const tempPath = join(dir, `t${n++}.part`);
  const final = join(dir, `blob${n}`);
  return new Fill({
    body: slowBody(data, 64 * 1024, 1, cut), contentLength: data.length, tempPath, detachedBudget: 1 << 30, store: true,
    commit: async (t, _digests, _size, body) => { if (body) writeFileSync(final, Buffer.concat(body)); else renameSync(t, final); return { result: 'stored', path: final }; },
    isNoSpace: () => false, ...extra,
  });
}

test('an unknown digest: unverified and not stored, unless the expectation keeps it', async () => {
  const data = randomBytes(300 * 1024);
  let commits = 0;
  const skipped = fill(data, { expected: Promise.resolve({ skip: true }), commit: async () => { commits++; return { result: 'stored', path: '' }; } });
  assert.is(await skipped.done, 'unverified');
  assert.ok(skipped.unverified);
  assert.is(commits, 0, 'nothing committed');
  const kept = fill(data, { expected: Promise.resolve({ skip: true, keep: true }) });
  assert.is(await kept.done, 'stored', 'committed');
  assert.ok(kept.unverified, 'still counted as verify skipped');
});

test('two readers, one joining late, get identical bytes; stored once', async () => {
  const data = randomBytes(2 * 1024 * 1024);
  const f = fill(data);
  const a = sink(), b = sink();
  const pa = readFromFill(f, a);
  await new Promise((r) => setTimeout(r, 20));
  const pb = readFromFill(f, b);
  assert.ok(await pa); assert.ok(await pb);
  assert.is(await f.done, 'stored');
  assert.is(sha(a.bytes()), sha(data)); assert.is(sha(b.bytes()), sha(data));
});
test('range from a growing fill', async () => {
  const data = randomBytes(1024 * 1024);
  const f = fill(data);
  const s = sink();
  assert.ok(await readFromFill(f, s, data.length - 1024, data.length - 1));
  assert.ok(s.bytes().equals(data.subarray(data.length - 1024)));
});
test('truncated upstream → reader fails, temp removed', async () => {
  const data = randomBytes(512 * 1024);
  const f = fill(data, {}, 300 * 1024);
  const s = sink();
  assert.not.ok(await readFromFill(f, s));
  assert.is(await f.done, 'truncated');
  assert.ok(s.bytes().length < data.length);
  assert.not.ok(existsSync(f.tempPath));
});
test('verify mismatch → reader never gets the full body', async () => {
  const data = randomBytes(512 * 1024);
  const f = fill(data, { expected: Promise.resolve({ sha256: '0'.repeat(64) }) });
  const s = sink();
  assert.not.ok(await readFromFill(f, s));
  assert.is(await f.done, 'verify_failed');
  assert.ok(s.bytes().length <= data.length - 64 * 1024);
});
test('late sha512 expectation is checked from the temp file', async () => {
  const data = randomBytes(300 * 1024);
  const want = createHash('sha512').update(data).digest('hex');
  const f = fill(data, { expected: new Promise((r) => setTimeout(() => r({ sha512: want }), 50)) });
  assert.is(await f.done, 'stored');
});
test('detached fill beyond budget stops', async () => {
  const data = randomBytes(2 * 1024 * 1024);
  const f = fill(data, { detachedBudget: 64 * 1024 });
  const s: ReadSink = { write: async () => undefined, closed: () => true };
  await readFromFill(f, s);
  assert.is(await f.done, 'detached_budget');
  assert.not.ok(existsSync(f.tempPath));
});
test('bytes that arrive before the starting request reads are not a detached fill while it holds the fill', async () => {
  const data = randomBytes(1024 * 1024);
  const held = fill(data, { detachedBudget: 64 * 1024 });
  const release = held.hold();
  await new Promise((r) => setTimeout(r, 40)); // several chunks arrive with no reader attached
  const s = sink();
  assert.ok(await readFromFill(held, s));
  release();
  assert.is(await held.done, 'stored');
  assert.ok(s.bytes().equals(data));
  const unheld = fill(data, { detachedBudget: 64 * 1024 });
  await new Promise((r) => setTimeout(r, 40));
  assert.is(await unheld.done, 'detached_budget', 'without the hold the same timing aborts the fill');
});
test('ENOSPC → pass-through from memory, nothing stored', async () => {
  const data = randomBytes(1024 * 1024);
  const err = Object.assign(new Error('no space'), { code: 'ENOSPC' });
  const f = fill(data, { tempPath: join(dir, 'nonexistent-dir', 'x.part'), isNoSpace: () => true });
  void err;
  const s = sink();
  assert.ok(await readFromFill(f, s));
  assert.is(await f.done, 'no_space');
  assert.is(sha(s.bytes()), sha(data));
});
test('disk full part way: a reader that starts after the fill ended still gets the bytes written before the failure', async () => {
  const data = randomBytes(3 * 1024 * 1024);
  const f = fill(data, { failWritesAfter: 1024 * 1024, isNoSpace: (e) => (e as NodeJS.ErrnoException).code === 'ENOSPC' });
  const release = f.hold(); // the request that started the fill, not reading yet
  assert.is(await f.done, 'no_space');
  assert.ok(existsSync(f.tempPath), 'the temp file stays while a reader may still need it');
  const s = sink();
  assert.ok(await readFromFill(f, s));
  release();
  assert.is(sha(s.bytes()), sha(data));
  for (let i = 0; i < 200 && existsSync(f.tempPath); i++) await new Promise((r) => setTimeout(r, 10));
  assert.not.ok(existsSync(f.tempPath), 'removed once the last reader left');
});
test('a verified body reaches its readers while the commit is still running; the commit ends the fill', async () => {
  const data = randomBytes(300 * 1024);
  let commitStarted!: () => void, finishCommit!: () => void;
  const started = new Promise<void>((r) => { commitStarted = r; });
  const final = join(dir, `blocked${n}`);
  const f = fill(data, {
    expected: Promise.resolve({ sha256: sha(data), size: data.length }),
    commit: async (t) => { commitStarted(); await new Promise<void>((r) => { finishCommit = r; }); renameSync(t, final); return { result: 'stored', path: final }; },
  });
  const s = sink();
  const read = readFromFill(f, s);
  await started;
  // a generous bound only so that a reader waiting for the commit fails the test instead of hanging it
  const first = await Promise.race([read.then((ok) => (ok ? 'delivered' : 'failed')), new Promise((r) => setTimeout(() => r('waiting for the commit'), 5000))]);
  assert.is(first, 'delivered');
  assert.ok(s.bytes().equals(data));
  assert.ok(f.committing);
  const late = sink();
  assert.ok(await readFromFill(f, late), 'a reader joining during the commit gets the whole body too');
  assert.ok(late.bytes().equals(data));
  finishCommit();
  assert.is(await f.done, 'stored');
  assert.not.ok(f.committing);
});
test('a body failing verification is never committed and its readers never get the tail', async () => {
  const data = randomBytes(200 * 1024);
  let commits = 0;
  const f = fill(data, { expected: Promise.resolve({ sha256: '1'.repeat(64) }), commit: async () => { commits++; return { result: 'stored', path: '' }; } });
  const s = sink();
  assert.not.ok(await readFromFill(f, s));
  assert.is(await f.done, 'verify_failed');
  assert.is(commits, 0);
  assert.ok(s.bytes().length <= data.length - 64 * 1024);
  assert.not.ok(existsSync(f.tempPath));
});
test('a reader far behind a large fill reads from the file in reused buffers, with two batches in flight', async () => {
  const data = randomBytes(12 * 1024 * 1024); // beyond the in-memory window
  const f = fill(data, {}, undefined);
  const parts: Buffer[] = [];
  let inFlight = 0, most = 0;
  const late: ReadSink = {
    write: async (b) => { parts.push(Buffer.from(b)); },
    flush: async (bs) => { inFlight++; most = Math.max(most, inFlight); await new Promise((r) => setTimeout(r, 1)); for (const b of bs) parts.push(Buffer.from(b)); inFlight--; },
    closed: () => false,
  };
  assert.is(await f.done, 'stored');
  assert.ok(await readFromFill(f, late));
  assert.is(sha(Buffer.concat(parts)), sha(data));
  assert.is(most, 2);
});
test.after(() => { rmSync(dir, { recursive: true, force: true }); });
test('no temp files left', () => { assert.equal(readdirSync(dir).filter((x) => x.endsWith('.part')), []); void readFileSync; });
test('an expectation naming sha512 that arrives while the first chunk is being written still verifies', async () => {
  for (let i = 0; i < 20; i++) {
    const data = randomBytes(800 + i);
    const sha512 = createHash('sha512').update(data).digest('hex');
    // resolves on a later tick: after the first chunk was hashed (sha256) but before its write finished
    const expected = new Promise<{ size: number; sha512: string }>((r) => setTimeout(() => r({ size: data.length, sha512 }), 1 + (i % 3)));
    const f = fill(data, { expected });
    const result = await f.done;
    assert.is(result, 'stored', `round ${i}: ${f.error?.message ?? ''}`);
  }
});

test('a small body of known length never touches a temp file: the commit gets its bytes; a larger one comes as a file', async () => {
  for (const size of [4096, 256 * 1024, 256 * 1024 + 1]) {
    const data = randomBytes(size);
    let got: { temp: boolean; body?: Buffer } | undefined;
    const f = fill(data, {
      expected: Promise.resolve({ sha256: sha(data) }),
      commit: async (t, _d, _s, body) => { got = { temp: existsSync(t), body: body && Buffer.concat(body) }; return { result: 'stored', path: t }; },
    });
    const s = sink();
    assert.ok(await readFromFill(f, s));
    assert.is(await f.done, 'stored');
    assert.ok(s.bytes().equals(data));
    if (size <= 256 * 1024) { assert.not.ok(got!.temp, `${size}: no temp file`); assert.ok(got!.body!.equals(data), `${size}: the commit has the bytes`); }
    else { assert.ok(got!.temp, `${size}: a temp file`); assert.is(got!.body, undefined); }
  }
});

test('a small body that fails verification is never committed; a full disk at its commit is no_space', async () => {
  const data = randomBytes(2000);
  let commits = 0;
  const bad = fill(data, { expected: Promise.resolve({ sha256: '2'.repeat(64) }), commit: async () => { commits++; return { result: 'stored', path: '' }; } });
  assert.is(await bad.done, 'verify_failed');
  assert.is(commits, 0);
  let full = 0;
  const f = fill(data, {
    isNoSpace: (e) => (e as NodeJS.ErrnoException).code === 'ENOSPC', onNoSpace: () => { full++; },
    commit: async () => { throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }); },
  });
  assert.is(await f.done, 'no_space');
  assert.is(full, 1);
});

test('a mismatch is reported to the expectation before it fails; its source agreeing on a second look lets the body pass', async () => {
  const data = randomBytes(100 * 1024);
  const seen: string[] = [];
  const bad = fill(data, { expected: Promise.resolve({ sha1: '0'.repeat(40), onMismatch: async (algo, actual) => { seen.push(`${algo}:${actual}`); } }) });
  assert.is(await bad.done, 'verify_failed');
  const sha1 = createHash('sha1').update(data).digest('hex');
  assert.equal(seen, [`sha1:${sha1}`]);
  let commits = 0;
  const retaken = fill(data, {
    expected: Promise.resolve({ sha1: '0'.repeat(40), onMismatch: async (_algo, actual) => actual === sha1 }),
    commit: async () => { commits++; return { result: 'stored', path: '' }; },
  });
  assert.is(await retaken.done, 'stored');
  assert.is(commits, 1);
  const thrown = fill(data, { expected: Promise.resolve({ sha1: '0'.repeat(40), onMismatch: async () => { throw new Error('source gone'); } }) });
  assert.is(await thrown.done, 'verify_failed');
});

test('an unknown digest with keep: stored all the same, the fill marked unverified', async () => {
  const data = randomBytes(1000);
  let commits = 0;
  const f = fill(data, { expected: Promise.resolve({ skip: true, keep: true }), commit: async () => { commits++; return { result: 'stored', path: '' }; } });
  const s = sink();
  assert.ok(await readFromFill(f, s));
  assert.is(await f.done, 'stored');
  assert.ok(f.unverified);
  assert.is(commits, 1);
  assert.ok(s.bytes().equals(data));
});

/** counts the temp files synced while `run` goes on (FileHandle.sync, wrapped on its prototype) */
async function countingSyncs<T>(run: () => Promise<T>): Promise<{ value: T; syncs: number }> {
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  rmSync(join(dir, 'probe'));
  const original = proto.sync;
  let syncs = 0;
  proto.sync = function (this: unknown) { syncs++; return original.call(this); };
  try { return { value: await run(), syncs }; } finally { proto.sync = original; }
}

test('a transient body (a spool, never stored): identical bytes to every reader, no digest, no sync, no commit, its temp file gone', async () => {
  const data = randomBytes(3 * 1024 * 1024);
  let commits = 0;
  const commit = async () => { commits++; return { result: 'stored' as const, path: '' }; };
  const { value: f, syncs } = await countingSyncs(async () => {
    const f = fill(data, { contentLength: undefined, transient: true, expected: Promise.resolve({ skip: true }), commit });
    const a = sink(), b = sink();
    const pa = readFromFill(f, a);
    await new Promise((r) => setTimeout(r, 20));
    const pb = readFromFill(f, b); // joins late: its first bytes come from the temp file
    assert.ok(await pa); assert.ok(await pb);
    assert.is(sha(a.bytes()), sha(data)); assert.is(sha(b.bytes()), sha(data));
    await f.done;
    return f;
  });
  assert.is(f.result, 'unverified');
  assert.equal(f.digests, {}, 'nothing hashed');
  assert.is(syncs, 0, 'the spool is never synced');
  assert.is(commits, 0, 'never committed');
  assert.not.ok(existsSync(f.tempPath), 'the spool is removed once read');
  // the same body kept (not transient) is hashed, synced and committed: what the option leaves out
  const kept = await countingSyncs(async () => {
    const k = fill(data, { contentLength: undefined, expected: Promise.resolve({ skip: true, keep: true }), commit });
    assert.ok(await readFromFill(k, sink()));
    await k.done;
    return k;
  });
  assert.is(kept.value.digests.sha256, sha(data));
  assert.ok(kept.syncs >= 1);
  assert.is(commits, 1);
});

test('a transient body still verifies the digests its expectation names', async () => {
  const data = randomBytes(200 * 1024);
  const good = fill(data, { transient: true, expected: Promise.resolve({ sha256: sha(data) }) });
  const s = sink();
  assert.ok(await readFromFill(good, s));
  assert.ok(s.bytes().equals(data));
  assert.ok(['too_large', 'unverified'].includes(await good.done) && good.verified, 'verified and served, not stored');
  assert.equal(good.digests, { sha256: sha(data) });
  const bad = fill(data, { transient: true, expected: Promise.resolve({ sha256: '0'.repeat(64) }) });
  assert.not.ok(await readFromFill(bad, sink()));
  assert.is(await bad.done, 'verify_failed');
});

test('a fill without a disk copy is joinable until its first bytes leave memory; a stored fill stays joinable', async () => {
  const data = randomBytes(4 * 1024 * 1024);
  const passed = fill(data, { store: false });
  let told = 0;
  passed.on('unjoinable', () => { told++; });
  const early = sink();
  const reading = readFromFill(passed, early);
  for (const end = Date.now() + 10_000; passed.joinable && Date.now() < end;) await new Promise((r) => setTimeout(r, 5));
  assert.ok(!passed.joinable, 'the reader passed bytes nobody else holds');
  assert.is(told, 1, 'told once');
  // a reader attached anyway cannot get the first byte: refused, never served from the middle
  const late = sink();
  assert.is(await readFromFill(passed, late), false);
  assert.is(late.bytes().length, 0);
  assert.ok(await reading);
  assert.is(sha(early.bytes()), sha(data), 'the early reader got every byte');
  await passed.done;
  assert.is(told, 1);

  const stored = fill(data);
  const a = sink();
  const pa = readFromFill(stored, a);
  await new Promise((r) => setTimeout(r, 20));
  const b = sink();
  assert.ok(stored.joinable, 'bytes that left memory are in the temp file');
  assert.ok(await readFromFill(stored, b));
  assert.ok(await pa);
  assert.is(sha(b.bytes()), sha(data));
  assert.is(await stored.done, 'stored');
});

test.run();
