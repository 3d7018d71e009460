import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { parseDesc, sniff, dbPackages } from './db.js';

test('desc fields: %FIELD% then values up to a blank line', () => {
  const d = parseDesc('%FILENAME%\na-1-1-any.pkg.tar.zst\n\n%DEPENDS%\nb\nc\n\n%CSIZE%\n12\n');
  assert.equal(d.get('FILENAME'), ['a-1-1-any.pkg.tar.zst']);
  assert.equal(d.get('DEPENDS'), ['b', 'c']);
  assert.equal(d.get('CSIZE'), ['12']);
});

test('compression sniffed from magic bytes', () => {
  assert.is(sniff(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
  assert.is(sniff(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0])), 'zstd');
  assert.is(sniff(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0])), 'xz');
  assert.is(sniff(Buffer.from('BZh91AY')), 'bzip2');
  assert.is(sniff(Buffer.from('cp-hello-1.0-1/')), 'none');
});

test('a database that is not a tar fails instead of listing nothing', async () => {
  const read = async (b: Buffer) => { const out = []; for await (const p of dbPackages(Readable.from([b]))) out.push(p); return out; };
  let err: Error | undefined;
  await read(gzipSync(Buffer.from('<html>not found</html>'.repeat(40)))).catch((e: Error) => { err = e; });
  assert.ok(err, 'an html page is not a database');
});

test.run();
