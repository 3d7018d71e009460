import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { SharedRuns, type Started } from './shared-runs.js';

const dir = mkdtempSync(join(tmpdir(), 'cp-shared-'));
let n = 0;
const tempPath = () => join(dir, `run${n++}.part`);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
/** true once `cond` holds, polled for at most `ms` (clean-ups after the last reader are asynchronous) */
async function eventually(cond: () => boolean, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; !cond(); await tick(10)) if (Date.now() > end) return false;
  return true;
}
const read = async (r: Readable) => { const parts: Buffer[] = []; for await (const c of r) parts.push(c as Buffer); return Buffer.concat(parts); };

/** a run whose output the test writes: `send` bytes, then `finish` (success) or `fail` */
function controlled() {
  const output = new PassThrough();
  let first!: (v: Awaited<Started['first']>) => void;
  const started: Started = { output, first: new Promise((r) => { first = r; }) };
  let sentAny = false;
  return {
    started,
    send(b: Buffer) { if (!sentAny) { sentAny = true; first({ data: true }); } output.write(b); },
    finish() { if (!sentAny) first({ data: false }); output.end(); },
    fail(msg: string) { if (!sentAny) first({ data: false, error: msg }); output.destroy(new Error(msg)); },
  };
}

test('requests joining a run in flight read its whole output from the first byte; one run', async () => {
  const shared = new SharedRuns({ tempPath });
  const data = randomBytes(3 * 1024 * 1024);
  const run = controlled();
  let runs = 0, joins = 0;
  const counted = { run: () => { runs++; }, join: () => { joins++; } };
  const a = shared.open('k', () => run.started, counted);
  await tick();
  run.send(data.subarray(0, 1024 * 1024));
  const ja = await a;
  await tick(20);
  const b = shared.open('k', () => { throw new Error('a second run'); }, counted); // joins after 1 MiB went out
  run.send(data.subarray(1024 * 1024));
  const jb = await b;
  assert.ok(ja.data && jb.data);
  const [ra, rb] = [read(ja.data ? ja.body : new PassThrough()), read(jb.data ? jb.body : new PassThrough())];
  await tick(20);
  run.finish();
  assert.is(sha(await ra), sha(data));
  assert.is(sha(await rb), sha(data));
  assert.equal({ runs, joins }, { runs: 1, joins: 1 });
  assert.ok(await eventually(() => shared.size === 0), 'a finished run is forgotten');
  assert.ok(await eventually(() => readdirSync(dir).filter((f) => f.startsWith('run')).length === 0), 'its temp file is removed');
});

test('a finished run nobody reads any more is not reused: the next identical request starts anew', async () => {
  const shared = new SharedRuns({ tempPath });
  let runs = 0;
  for (const text of ['one', 'two']) {
    const run = controlled();
    const j = shared.open('same', () => { runs++; return run.started; });
    await tick();
    run.send(Buffer.from(text));
    run.finish();
    const r = await j;
    assert.ok(r.data);
    assert.is((await read(r.data ? r.body : new PassThrough())).toString(), text);
    await tick(20);
  }
  assert.is(runs, 2);
});

test('a finished run still being read is joined, from its first byte', async () => {
  const shared = new SharedRuns({ tempPath });
  const data = randomBytes(2 * 1024 * 1024);
  const run = controlled();
  let runs = 0;
  const a = shared.open('r', () => { runs++; return run.started; });
  await tick();
  run.send(data);
  run.finish();
  const ja = await a;
  assert.ok(ja.data);
  await tick(50); // finished; `a` has not read a byte yet
  const jb = await shared.open('r', () => { runs++; return controlled().started; });
  assert.ok(jb.data);
  const [ra, rb] = await Promise.all([read(ja.data ? ja.body : new PassThrough()), read(jb.data ? jb.body : new PassThrough())]);
  assert.is(sha(ra), sha(data));
  assert.is(sha(rb), sha(data));
  assert.is(runs, 1);
  assert.ok(await eventually(() => shared.size === 0), 'forgotten once its last reader is done');
});

test('a run that fails after its first bytes fails every request reading it: none sees the end of the output', async () => {
  const shared = new SharedRuns({ tempPath });
  const run = controlled();
  const a = shared.open('f', () => run.started);
  const b = shared.open('f', () => run.started);
  await tick();
  run.send(randomBytes(200 * 1024));
  const [ja, jb] = [await a, await b];
  await tick(20);
  run.fail('upload-pack exited with 128');
  for (const j of [ja, jb]) {
    assert.ok(j.data);
    const err = await read(j.data ? j.body : new PassThrough()).then(() => null, (e: Error) => e);
    assert.ok(err, 'the stream errored instead of ending');
  }
  await tick(20);
  assert.is(shared.size, 0);
});

test('a run that fails before any byte answers every request with its error; an empty success is empty', async () => {
  const shared = new SharedRuns({ tempPath });
  const bad = controlled();
  const a = shared.open('e', () => bad.started), b = shared.open('e', () => bad.started);
  await tick();
  bad.fail('not our ref');
  assert.equal(await a, { data: false, error: 'not our ref' });
  assert.equal(await b, { data: false, error: 'not our ref' });
  const empty = controlled();
  const c = shared.open('empty', () => empty.started);
  await tick();
  empty.finish();
  assert.equal(await c, { data: false });
});

test('holdUntil: a new run starts once that many requests wait for it', async () => {
  const shared = new SharedRuns({ tempPath, holdUntil: 3, holdMaxMs: 10_000 });
  let runs = 0;
  const run = controlled();
  const start = () => { runs++; setImmediate(() => { run.send(Buffer.from('pack')); run.finish(); }); return run.started; };
  const a = shared.open('h', start), b = shared.open('h', start);
  await tick(50);
  assert.is(runs, 0, 'held while two wait');
  const c = shared.open('h', start);
  const all = await Promise.all([a, b, c]);
  assert.is(runs, 1);
  for (const j of all) assert.is((await read(j.data ? j.body : new PassThrough())).toString(), 'pack');
});

test('a run nobody reads any more is stopped (its output destroyed)', async () => {
  const shared = new SharedRuns({ tempPath });
  const run = controlled();
  const j = await (async () => { const p = shared.open('gone', () => run.started); await tick(); run.send(Buffer.alloc(100 * 1024)); return p; })();
  assert.ok(j.data);
  if (j.data) j.body.destroy();
  // the run goes on producing; the fill sees its last reader gone when it next wakes them, at a time of its own
  for (let chunks = 0; chunks < 500 && !run.started.output.destroyed; chunks++) {
    run.send(Buffer.alloc(16 * 1024));
    await tick(10);
  }
  assert.ok(run.started.output.destroyed, 'the run was stopped');
  assert.ok(await eventually(() => shared.size === 0), 'and forgotten');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
