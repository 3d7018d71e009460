import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalBlobCache } from './local-blob-cache.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let dir: string;
let n = 0;
const tempPath = (s: string) => join(dir, `t-${n++}${s}`);
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'cp-lbc-')); });
test.after.each(() => { rmSync(dir, { recursive: true, force: true }); });

async function put(c: LocalBlobCache, body: Buffer): Promise<string> {
  const f = tempPath('.b');
  writeFileSync(f, body);
  await c.adopt(f, sha(body), body.length);
  return sha(body);
}

test('adopted files are read back; least recently used go first once over the bound', async () => {
  const c = new LocalBlobCache(join(dir, 'blobs'), 250, tempPath);
  await c.ready;
  const a = await put(c, Buffer.alloc(100, 1));
  const b = await put(c, Buffer.alloc(100, 2));
  const fh = await c.openFile(a); // a used: b is now the oldest
  assert.ok(fh);
  await fh!.close();
  const d = await put(c, Buffer.alloc(100, 3));
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(c.has(a) && c.has(d));
  assert.not.ok(c.has(b));
  assert.not.ok(existsSync(c.path(b)));
  assert.is(c.bytes, 200);
  assert.ok(readFileSync(c.path(d)).equals(Buffer.alloc(100, 3)));
});

test('store keeps only bytes whose sha256 is the name; tee keeps a complete copy', async () => {
  const c = new LocalBlobCache(join(dir, 'blobs'), 1 << 20, tempPath);
  const body = Buffer.from('hello blob');
  await c.store(Readable.from([body]), sha(body));
  assert.ok(c.has(sha(body)));
  try { await c.store(Readable.from([Buffer.from('other')]), sha(Buffer.from('x'))); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /other bytes/); }
  assert.not.ok(c.has(sha(Buffer.from('x'))));
  const big = Buffer.alloc(300_000, 7);
  const chunks: Buffer[] = [];
  for await (const ch of c.tee(Readable.from([big.subarray(0, 100_000), big.subarray(100_000)]), sha(big))) chunks.push(ch as Buffer);
  assert.ok(Buffer.concat(chunks).equals(big));
  for (let i = 0; i < 100 && !c.has(sha(big)); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(c.has(sha(big)));
});

test('a restart finds the files already there', async () => {
  const c = new LocalBlobCache(join(dir, 'blobs'), 1 << 20, tempPath);
  await c.ready;
  const a = await put(c, Buffer.alloc(10, 9));
  const again = new LocalBlobCache(join(dir, 'blobs'), 1 << 20, tempPath);
  await again.ready;
  assert.is(again.sizeOf(a), 10);
});

test.run();
