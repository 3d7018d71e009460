import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePackageIndex, PackageIndex, type PackageEntry } from './package-index.js';

const dir = mkdtempSync(join(tmpdir(), 'cp-pkgidx-'));
const hex = (i: number, n: number) => i.toString(16).padStart(n, '0');
const entries: PackageEntry[] = Array.from({ length: 5000 }, (_, i) => ({ path: `pool/main/p/pkg${(i * 7919) % 5000}/pkg_${i}.deb`, size: i + 1, sha256: hex(i, 64) }));

test('sorted on disk, every entry found, absent paths not found', async () => {
  const file = join(dir, '1.pkgidx');
  assert.is(await writePackageIndex(file, entries), 5000);
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split('\t')[0]!);
  assert.equal(lines, [...lines].sort());
  const idx = await PackageIndex.open(file);
  assert.is(idx.count, 5000);
  for (const e of [entries[0]!, entries[1234]!, entries[4999]!]) {
    const got = await idx.lookup(e.path);
    assert.equal(got, { path: e.path, size: e.size, sha256: e.sha256 });
  }
  assert.is(await idx.lookup('pool/main/a/absent.deb'), undefined);
  assert.is(await idx.lookup('zzz'), undefined);
  assert.is(await idx.lookup('a'), undefined);
  let n = 0;
  for await (const _ of idx.entries()) n++;
  assert.is(n, 5000);
});

test('first duplicate path wins; several digests kept', async () => {
  const file = join(dir, '2.pkgidx');
  await writePackageIndex(file, [{ path: 'a.deb', size: 1, sha256: 'aa', sha512: 'bb' }, { path: 'a.deb', size: 2, sha256: 'cc' }]);
  const idx = await PackageIndex.open(file);
  assert.equal(await idx.lookup('a.deb'), { path: 'a.deb', size: 1, sha256: 'aa', sha512: 'bb' });
});

test('empty index', async () => {
  const file = join(dir, '3.pkgidx');
  await writePackageIndex(file, []);
  const idx = await PackageIndex.open(file);
  assert.is(await idx.lookup('a.deb'), undefined);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test("a format's own check digest is kept beside the whole-file digests", async () => {
  const file = join(dir, 'check.pkgidx');
  const e: PackageEntry = { path: 'main/x86_64/a-1.0-r0.apk', size: 10, check: 'ab'.repeat(20) };
  await writePackageIndex(file, [e]);
  assert.equal(await (await PackageIndex.open(file)).lookup(e.path), e);
});

test.run();
