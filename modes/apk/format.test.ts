// The apk format against the hand-made v2 fixture (conformance/fixtures/apk/make.mjs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { RepoError } from '../linux-repo/format.js';
import type { PackageEntry } from '../linux-repo/package-index.js';
import { apkFormat, classifyApk, indexRoot, APKINDEX } from './format.js';
import { gzipMember } from './package.js';
import { apkFixture, REPO_DIR } from './test-fixture.js';

const file = (tree: string, name: string) => readFileSync(join(apkFixture(), tree, REPO_DIR, name));
const root = indexRoot(REPO_DIR);
const parse = (b: Buffer | null) => apkFormat.parsePrimary(new Map([[APKINDEX, b]]), root, { acceptTorn: false });
async function entries(tree: string): Promise<PackageEntry[]> {
  const out: PackageEntry[] = [];
  for await (const e of apkFormat.readIndex(APKINDEX, Readable.from([file(tree, APKINDEX)]), root)) out.push(e);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

test('classify: <dir>/APKINDEX.tar.gz is the primary of root <dir>; everything else passes through', () => {
  assert.equal(classifyApk(`${REPO_DIR}/APKINDEX.tar.gz`), { type: 'primary', root, name: APKINDEX });
  assert.equal(classifyApk('APKINDEX.tar.gz'), { type: 'primary', root: indexRoot(''), name: APKINDEX });
  assert.equal(classifyApk(`${REPO_DIR}/x-1.0-r0.apk`), { type: 'passthrough' });
  assert.equal(classifyApk(`${REPO_DIR}/APKINDEX.tar.gz.sig`), { type: 'passthrough' });
  assert.equal(apkFormat.primaryNames(root), [APKINDEX]);
});

test('index: <dir>/<P>-<V>.apk with S: as size and C: as the control segment SHA-1 (hex)', async () => {
  assert.is((await parse(file('v2', APKINDEX))).attrs.packages, '3');
  const got = await entries('v2');
  assert.equal(got.map((e) => e.path), ['cp-data-1.0-r0.apk', 'cp-hello-1.0-r0.apk', 'cp-hello-2.0-r0.apk'].map((n) => `${REPO_DIR}/${n}`));
  for (const e of got) {
    const bytes = readFileSync(join(apkFixture(), 'v2', e.path));
    assert.is(e.size, bytes.length, e.path);
    const sig = gzipMember(bytes, 0).length, control = gzipMember(bytes, sig).length;
    assert.is(e.check, createHash('sha1').update(bytes.subarray(sig, sig + control)).digest('hex'), e.path);
    assert.is(e.sha256 ?? e.sha1, undefined, 'the index pins no digest of the whole file');
  }
});

test('a truncated index is torn; a missing one not found; gzip that is not an index invalid', async () => {
  const torn = await parse(file('torn', APKINDEX)).then(() => null, (e: unknown) => e);
  assert.instance(torn, RepoError);
  assert.is((torn as RepoError).code, 'E_TORN');
  assert.is(((await parse(null).then(() => null, (e: unknown) => e)) as RepoError).code, 'E_NOT_FOUND');
  const notIndex = await parse((await import('node:zlib')).gzipSync(Buffer.alloc(1024))).then(() => null, (e: unknown) => e);
  assert.match((notIndex as RepoError).message, /no APKINDEX member/);
});

test('an apk v3 (adb) index is served unparsed: a warning, no packages', async () => {
  const adb = Buffer.concat([Buffer.from('ADBd'), Buffer.alloc(60, 7)]);
  const p = await parse(adb);
  assert.is(p.listed.size, 0);
  assert.match(p.warnings.join(), /apk v3 \(adb\) index: not parsed/);
  const out: PackageEntry[] = [];
  for await (const e of apkFormat.readIndex(APKINDEX, Readable.from([adb]), root)) out.push(e);
  assert.equal(out, []);
});

test.run();
