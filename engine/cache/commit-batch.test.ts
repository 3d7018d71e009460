import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBatch } from './commit-batch.js';
import { CommitWorker } from './commit-worker.js';

function withDir(run: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'commit-'));
    mkdirSync(join(dir, 'tmp'));
    try { await run(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
  };
}

test('a batch stores blobs from temp files and from data, writes documents, and skips blobs that exist', withDir((dir) => {
  const known = new Set<string>();
  writeFileSync(join(dir, 'tmp', 'a'), 'from a temp file');
  const replies = runBatch([
    { op: 'blob', temp: join(dir, 'tmp', 'a'), target: join(dir, 'blobs', 'aa', 'a') },
    { op: 'blob', temp: join(dir, 'tmp', 'b'), target: join(dir, 'blobs', 'bb', 'b'), data: [Buffer.from('from '), new Uint8Array(Buffer.from('memory'))] },
    { op: 'write', temp: join(dir, 'tmp', 'c'), target: join(dir, 'entries', 'c.json'), data: '{"x":1}' },
    { op: 'write', temp: join(dir, 'tmp', 'd'), target: join(dir, 'state', 'd.snapshot'), data: new Uint8Array([0, 255, 128]) },
  ], known);
  assert.equal(replies, [{ ok: true, size: 16 }, { ok: true, size: 11 }, { ok: true }, { ok: true }]);
  assert.is(readFileSync(join(dir, 'blobs', 'aa', 'a'), 'utf8'), 'from a temp file');
  assert.is(readFileSync(join(dir, 'blobs', 'bb', 'b'), 'utf8'), 'from memory');
  assert.is(statSync(join(dir, 'blobs', 'bb', 'b')).mode & 0o777, 0o444);
  assert.is(statSync(join(dir, 'blobs', 'aa', 'a')).mode & 0o777, 0o444);
  assert.is(readFileSync(join(dir, 'entries', 'c.json'), 'utf8'), '{"x":1}');
  assert.equal([...readFileSync(join(dir, 'state', 'd.snapshot'))], [0, 255, 128]);
  assert.equal(readdirSync(join(dir, 'tmp')), []);
  writeFileSync(join(dir, 'tmp', 'again'), 'from a temp file');
  assert.equal(runBatch([{ op: 'blob', temp: join(dir, 'tmp', 'again'), target: join(dir, 'blobs', 'aa', 'a') }], known), [{ ok: true, existed: true }]);
  assert.not.ok(existsSync(join(dir, 'tmp', 'again')), 'the duplicate temp file is removed');
}));

test('a failed job fails alone and leaves no temp file behind', withDir((dir) => {
  const known = new Set<string>();
  writeFileSync(join(dir, 'blocker'), 'a file where a directory should be');
  const replies = runBatch([
    { op: 'write', temp: join(dir, 'tmp', 'x'), target: join(dir, 'blocker', 'x.json'), data: 'x' },
    { op: 'write', temp: join(dir, 'tmp', 'y'), target: join(dir, 'ok', 'y.json'), data: 'y' },
    { op: 'blob', temp: join(dir, 'tmp', 'missing'), target: join(dir, 'blobs', 'm') },
  ], known);
  assert.is(replies[0]!.ok, false);
  assert.equal(replies[1], { ok: true });
  assert.is(replies[2]!.ok, false);
  assert.is((replies[2] as { code?: string }).code, 'ENOENT');
  assert.equal(readdirSync(join(dir, 'tmp')), []);
  assert.is(readFileSync(join(dir, 'ok', 'y.json'), 'utf8'), 'y');
}));

test('the commit thread answers each job; errors keep their code', withDir(async (dir) => {
  const w = new CommitWorker();
  try {
    const jobs = Array.from({ length: 50 }, (_, i) => w.run({ op: 'write', temp: join(dir, 'tmp', `t${i}`), target: join(dir, 'e', `${i % 3}`, `${i}.json`), data: String(i) }));
    await Promise.all(jobs);
    for (let i = 0; i < 50; i++) assert.is(readFileSync(join(dir, 'e', `${i % 3}`, `${i}.json`), 'utf8'), String(i));
    const r = await w.run({ op: 'blob', temp: join(dir, 'tmp', 'b'), target: join(dir, 'blobs', 'b'), data: [Buffer.from('12345')] });
    assert.equal(r, { ok: true, size: 5 });
    let err: NodeJS.ErrnoException | undefined;
    await w.run({ op: 'syncdir', dir: join(dir, 'nope') }).catch((e: NodeJS.ErrnoException) => { err = e; });
    assert.is(err?.code, 'ENOENT');
  } finally { await w.close(); }
}));

test.run();
