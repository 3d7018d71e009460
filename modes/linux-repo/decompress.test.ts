import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { decoded, compressionOf, uncompressedName } from './decompress.js';

const dir = mkdtempSync(join(tmpdir(), 'cp-decomp-'));
const plain = Buffer.from(Array.from({ length: 20000 }, (_, i) => `Package: p${i}\nVersion: ${i}\n\n`).join(''));
writeFileSync(join(dir, 'P'), plain);
// compressed by the real tools
for (const [tool, args] of [['gzip', ['-k', '-n']], ['xz', ['-k']], ['xz', ['-k', '--format=lzma']], ['bzip2', ['-k']], ['zstd', ['-q', '-k']]] as const) execFileSync(tool, [...args, join(dir, 'P')]);
const read = async (s: Readable) => { const parts: Buffer[] = []; for await (const c of s) parts.push(c as Buffer); return Buffer.concat(parts); };

test('names: compression by suffix, base name', () => {
  assert.is(compressionOf('main/binary-amd64/Packages.xz'), 'xz');
  assert.is(compressionOf('Packages'), 'none');
  assert.is(uncompressedName('i18n/Translation-en.bz2'), 'i18n/Translation-en');
});

for (const [file, c] of [['P.gz', 'gzip'], ['P.xz', 'xz'], ['P.lzma', 'lzma'], ['P.bz2', 'bzip2'], ['P.zst', 'zstd']] as const) {
  test(`${c}: decoded bytes equal the original`, async () => {
    const got = await read(decoded(Readable.from([readFileSync(join(dir, file))]), c));
    assert.ok(got.equals(plain), `${c}: ${got.length} vs ${plain.length}`);
  });
}

test('corrupt xz and gzip fail loudly', async () => {
  for (const [file, c] of [['P.xz', 'xz'], ['P.gz', 'gzip']] as const) {
    const bad = Buffer.from(readFileSync(join(dir, file)));
    bad[Math.floor(bad.length / 2)] ^= 0xff;
    let failed = false;
    try { await read(decoded(Readable.from([bad]), c)); } catch { failed = true; }
    assert.ok(failed, `${c} corrupt input must fail`);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
