import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fill, readFromFill } from '../cache/fill.js';
import type { Instance } from '../instance.js';
import type { CheckHook } from '../mode.js';
import type { EngineCtx } from './context.js';
import { runCheck } from './hook-context.js';
import { createPipelineState } from './state.js';
import type { Work } from './work.js';

const dir = mkdtempSync(join(tmpdir(), 'check-test-'));
let n = 0;
const noop = () => undefined;
const ctx = {
  state: createPipelineState(), log: { debug: noop, info: noop, warn: noop, error: noop }, config: { storage: { cleanup: { dry_run: false, batch_size: 0 } } },
  store: { state: { read: async () => null, write: async () => undefined }, privateDir: () => '' },
} as unknown as EngineCtx;
const w = { inst: { name: 'i', block: {}, allowedOrigins: new Set() } as unknown as Instance, match: { path: 'a.bin' } } as unknown as Work;

/** a fill whose completed file goes through `check` before its commit */
function checkedFill(data: Buffer, check: CheckHook) {
  let commits = 0;
  const tempPath = join(dir, `t${n++}.part`);
  const fill = new Fill({
    body: Readable.from((async function* () { for (let o = 0; o < data.length; o += 256 * 1024) yield data.subarray(o, o + 256 * 1024); })()),
    contentLength: data.length, tempPath, detachedBudget: 1 << 30, store: true, isNoSpace: () => false,
    check: (temp, size) => runCheck(ctx, w, check, temp, size, {}),
    commit: async (t) => { commits++; renameSync(t, join(dir, `blob${n}`)); return { result: 'stored', path: '' }; },
  });
  return { fill, commits: () => commits };
}

// the check reads the whole file as a stream, twice: a digest over a part, then over the rest
const halves = (want: string): CheckHook => async ({ open, size }) => {
  const first = createHash('sha256');
  let seen = 0;
  for await (const c of open() as AsyncIterable<Buffer>) { const part = c.subarray(0, Math.max(0, size / 2 - seen)); first.update(part); seen += c.length; }
  let total = 0;
  for await (const c of open() as AsyncIterable<Buffer>) total += c.length;
  if (total !== size) return `read ${total} of ${size} bytes`;
  return first.digest('hex') === want ? null : 'first half does not match';
};

test('a completed file passing its check is committed and read in full', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 5);
  const want = createHash('sha256').update(data.subarray(0, data.length / 2)).digest('hex');
  const { fill, commits } = checkedFill(data, halves(want));
  const parts: Buffer[] = [];
  assert.ok(await readFromFill(fill, { closed: () => false, write: async (b) => { parts.push(Buffer.from(b)); } }));
  assert.is(await fill.done, 'stored');
  assert.is(commits(), 1);
  assert.ok(Buffer.concat(parts).equals(data));
});

test('a failing check fails the fill as a digest mismatch: verify_failed, nothing committed, the tail withheld', async () => {
  const data = randomBytes(3 * 1024 * 1024);
  for (const check of [halves('0'.repeat(64)), (async () => { throw new Error('archive is corrupt'); }) as CheckHook]) {
    const { fill, commits } = checkedFill(data, check);
    let got = 0;
    assert.not.ok(await readFromFill(fill, { closed: () => false, write: async (b) => { got += b.length; } }));
    assert.is(await fill.done, 'verify_failed');
    assert.is(commits(), 0);
    assert.ok(got < data.length);
    assert.not.ok(existsSync(fill.tempPath));
  }
});

test('the reason a check gives is the message the client gets', async () => {
  const { fill } = checkedFill(randomBytes(1000), async () => 'upstream returned something that is not XML for a.bin');
  assert.is(await fill.done, 'verify_failed');
  assert.is(fill.describe('a.bin'), 'upstream returned something that is not XML for a.bin');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
