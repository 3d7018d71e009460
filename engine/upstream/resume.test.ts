import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { resumeTarget, continuationMismatch, ResumingBody, ResumeRefused, MAX_RESUMES, type UpstreamBody, type ResumeTarget } from './resume.js';

const OK = { etag: '"abc"', 'accept-ranges': 'bytes', 'content-length': '100' };

/** a body yielding `data` in 10-byte chunks, failing after `failAfter` bytes */
function body(data: Buffer, failAfter = Infinity): UpstreamBody & { destroyed: boolean } {
  const b = {
    destroyed: false,
    destroy() { b.destroyed = true; },
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < data.length; i += 10) {
        if (i >= failAfter) throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
        yield data.subarray(i, Math.min(i + 10, data.length));
      }
    },
  };
  return b;
}
async function drain(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}
const partial = (data: Buffer, offset: number, t: ResumeTarget, failAfter = Infinity) =>
  ({ status: 206, headers: { etag: t.etag, 'content-range': `bytes ${offset}-${t.length - 1}/${t.length}` }, body: body(data.subarray(offset), failAfter) });

test('resumeTarget: only a plain GET answered 200 with a strong ETag, Accept-Ranges: bytes and a Content-Length', () => {
  assert.equal(resumeTarget('GET', {}, 200, OK), { etag: '"abc"', length: 100 });
  assert.equal(resumeTarget('GET', undefined, 200, { ...OK, 'accept-ranges': 'none, bytes' }), { etag: '"abc"', length: 100 });
  assert.is(resumeTarget('GET', {}, 200, { ...OK, etag: 'W/"abc"' }), null, 'weak ETag');
  assert.is(resumeTarget('GET', {}, 200, { 'accept-ranges': 'bytes', 'content-length': '100' }), null, 'no ETag');
  assert.is(resumeTarget('GET', {}, 200, { etag: '"abc"', 'content-length': '100' }), null, 'no Accept-Ranges');
  assert.is(resumeTarget('GET', {}, 200, { ...OK, 'accept-ranges': 'none' }), null, 'Accept-Ranges: none');
  assert.is(resumeTarget('GET', {}, 200, { etag: '"abc"', 'accept-ranges': 'bytes' }), null, 'no Content-Length');
  assert.is(resumeTarget('GET', { Range: 'bytes=5-' }, 200, OK), null, 'client Range');
  assert.is(resumeTarget('GET', { 'if-range': '"abc"' }, 200, OK), null, 'client If-Range');
  assert.is(resumeTarget('HEAD', {}, 200, OK), null);
  assert.is(resumeTarget('POST', {}, 200, OK), null);
  assert.is(resumeTarget('GET', {}, 206, OK), null);
});

test('continuationMismatch: exactly the missing bytes of the same entity, nothing else', () => {
  const t = { etag: '"abc"', length: 100 };
  assert.is(continuationMismatch({ status: 206, headers: { etag: '"abc"', 'content-range': 'bytes 40-99/100' } }, 40, t), null);
  assert.match(continuationMismatch({ status: 200, headers: { etag: '"new"' } }, 40, t)!, /entity changed/);
  assert.match(continuationMismatch({ status: 416, headers: {} }, 40, t)!, /status 416/);
  assert.match(continuationMismatch({ status: 206, headers: { etag: '"abc"', 'content-range': 'bytes 41-99/100' } }, 40, t)!, /Content-Range/);
  assert.match(continuationMismatch({ status: 206, headers: { etag: '"abc"', 'content-range': 'bytes 40-98/100' } }, 40, t)!, /Content-Range/);
  assert.match(continuationMismatch({ status: 206, headers: { etag: '"abc"', 'content-range': 'bytes 40-99/101' } }, 40, t)!, /Content-Range/);
  assert.match(continuationMismatch({ status: 206, headers: { etag: '"abc"' } }, 40, t)!, /Content-Range \(none\)/);
  assert.match(continuationMismatch({ status: 206, headers: { etag: '"xyz"', 'content-range': 'bytes 40-99/100' } }, 40, t)!, /ETag/);
});

test('an interrupted body continues from the byte it stopped at: one continuous, exact body', async () => {
  const data = randomBytes(100);
  const t = { etag: '"abc"', length: 100 };
  const offsets: number[] = [];
  const rb = new ResumingBody(body(data, 40), {
    target: t, mayResume: () => true,
    refetch: async (offset) => { offsets.push(offset); return partial(data, offset, t); },
  });
  assert.ok((await drain(rb)).equals(data));
  assert.equal(offsets, [40]);
  assert.is(rb.resumes, 1);
});

test('several interruptions → several resumes up to the bound, then the body fails', async () => {
  const data = randomBytes(100);
  const t = { etag: '"abc"', length: 100 };
  const offsets: number[] = [];
  const ok = new ResumingBody(body(data, 20), { target: t, mayResume: () => true, refetch: async (o) => { offsets.push(o); return partial(data, o, t, o < 60 ? 20 : Infinity); } });
  assert.ok((await drain(ok)).equals(data));
  assert.equal(offsets, [20, 40, 60]);

  let calls = 0;
  const bounded = new ResumingBody(body(data, 10), { target: t, mayResume: () => true, refetch: async (o) => { calls++; return partial(data, o, t, 10); } });
  const got: Buffer[] = [];
  try { for await (const c of bounded) got.push(c); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /other side closed/); }
  assert.is(calls, MAX_RESUMES);
  assert.is(Buffer.concat(got).length, 10 * (MAX_RESUMES + 1));
});

test('a continuation that is not the same entity fails the body and is torn down', async () => {
  const data = randomBytes(100);
  const t = { etag: '"abc"', length: 100 };
  const full = body(randomBytes(100));
  const rb = new ResumingBody(body(data, 50), { target: t, mayResume: () => true, refetch: async () => ({ status: 200, headers: { etag: '"new"' }, body: full }) });
  try { await drain(rb); assert.unreachable(); } catch (e) {
    assert.instance(e, ResumeRefused);
    assert.match((e as Error).message, /entity changed.*other side closed/);
  }
  assert.ok(full.destroyed);
});

test('no resume without a target, after our own abort, or once the reader has gone', async () => {
  const data = randomBytes(100);
  const t = { etag: '"abc"', length: 100 };
  let calls = 0;
  const refetch = async (o: number) => { calls++; return partial(data, o, t); };
  for (const rb of [
    new ResumingBody(body(data, 30), { target: null, mayResume: () => true, refetch }),
    new ResumingBody(body(data, 30), { target: t, mayResume: () => false, refetch }),
  ]) {
    try { await drain(rb); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /other side closed/); }
  }
  const first = body(data, 30);
  const gone = new ResumingBody(first, { target: t, mayResume: () => true, refetch });
  const it = gone[Symbol.asyncIterator]();
  await it.next();
  gone.destroy();
  assert.ok(first.destroyed);
  try { while (!(await it.next()).done); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /other side closed/); }
  assert.is(calls, 0);
});

test('a body destroyed unread (a refused head) raises no unhandled error', async () => {
  // a stream that reports its abort the way the HTTP client's body does when destroyed before being read
  const unread = new Readable({ read() {}, destroy(_e, cb) { cb(Object.assign(new Error('Request aborted'), { name: 'AbortError' })); } });
  const rb = new ResumingBody(unread as unknown as UpstreamBody, { target: null, mayResume: () => false, refetch: async () => { throw new Error('no'); } });
  let crashed: unknown;
  const onUncaught = (e: unknown) => { crashed = e; };
  process.once('uncaughtException', onUncaught);
  rb.destroy();
  await new Promise((r) => setTimeout(r, 20));
  process.off('uncaughtException', onUncaught);
  assert.is(crashed, undefined);
  assert.ok(unread.destroyed);
});

test.run();
