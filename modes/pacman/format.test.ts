// The pacman format against databases made by repo-add (conformance/fixtures/pacman/make.sh).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { RepoError } from '../linux-repo/format.js';
import type { PackageEntry } from '../linux-repo/package-index.js';
import { classifyPacman, databaseRoot, pacmanFormat } from './format.js';
import { pacmanFixture, REPO_DIR } from './test-fixture.js';

const file = (tree: string, name: string) => join(pacmanFixture(), tree, REPO_DIR, name);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const root = databaseRoot(REPO_DIR, 'fixture.db');
const parse = (db: Buffer | null, sig: Buffer | null = null) => pacmanFormat.parsePrimary(new Map([['fixture.db', db], ['fixture.db.sig', sig]]), root, { acceptTorn: false });
async function entries(db: Buffer, name = 'fixture.db'): Promise<PackageEntry[]> {
  const out: PackageEntry[] = [];
  for await (const e of pacmanFormat.readIndex(name, Readable.from([db]), root)) out.push(e);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

test('classify: every database name is the primary of its own root in its directory, its .files belongs to that root; packages pass through', () => {
  assert.equal(classifyPacman('core/os/x86_64/core.db'), { type: 'primary', root: databaseRoot('core/os/x86_64', 'core.db'), name: 'core.db' });
  assert.equal(classifyPacman('x/core.db.sig'), { type: 'primary', root: databaseRoot('x', 'core.db'), name: 'core.db.sig' });
  assert.equal(classifyPacman('x/core.db.tar.zst'), { type: 'primary', root: databaseRoot('x', 'core.db.tar.zst'), name: 'core.db.tar.zst' });
  assert.equal(classifyPacman('core.files'), { type: 'primary', root: databaseRoot('', 'core.db'), name: 'core.files' });
  assert.equal(classifyPacman('x/core.files.sig'), { type: 'primary', root: databaseRoot('x', 'core.db'), name: 'core.files.sig' });
  assert.equal(classifyPacman('x/core.files.tar.zst'), { type: 'primary', root: databaseRoot('x', 'core.db.tar.zst'), name: 'core.files.tar.zst' });
  assert.equal(classifyPacman('x/core.db.tar.gz.old'), { type: 'passthrough' });
  assert.equal(classifyPacman('x/a-1-1-any.pkg.tar.zst'), { type: 'passthrough' });
  assert.ok(databaseRoot('a', 'core.db').id !== databaseRoot('a', 'extra.db').id, 'two databases of one directory are two roots');
  assert.equal(pacmanFormat.primaryNames(root), ['fixture.db', 'fixture.db.sig']);
  assert.equal(pacmanFormat.onDemandPrimaries!(root), ['fixture.files', 'fixture.files.sig']);
  assert.equal(pacmanFormat.onDemandPrimaries!(databaseRoot('x', 'core.db.tar.gz')), ['core.files.tar.gz', 'core.files.tar.gz.sig']);
});

test('repo-add database: every desc pins its package by %CSIZE% and %SHA256SUM% under the database directory', async () => {
  const db = readFileSync(file('v2', 'fixture.db'));
  assert.is((await parse(db)).attrs.packages, '2');
  const got = await entries(db);
  assert.equal(got.map((e) => e.path), [`${REPO_DIR}/cp-data-1.0-1-any.pkg.tar.zst`, `${REPO_DIR}/cp-hello-2.0-1-any.pkg.tar.zst`]);
  for (const e of got) {
    const bytes = readFileSync(join(pacmanFixture(), 'v2', e.path));
    assert.is(e.size, bytes.length, e.path);
    assert.is(e.sha256, sha256(bytes), e.path);
  }
  assert.equal(await entries(readFileSync(file('v2', 'fixture.files')), 'fixture.files'), got, 'the .files database lists the same packages');
});

test('the same tar compressed with zstd, xz or bzip2 (or plain) reads the same', async () => {
  const tarBytes = gunzipSync(readFileSync(file('v1', 'fixture.db')));
  const want = await entries(readFileSync(file('v1', 'fixture.db')));
  assert.is(want.length, 2);
  for (const tool of ['zstd', 'xz', 'bzip2', 'cat']) {
    const db = execFileSync(tool, tool === 'cat' ? [] : ['-c', '-q'], { input: tarBytes });
    assert.equal(await entries(db), want, tool);
    assert.is((await parse(db)).attrs.packages, '2', tool);
  }
});

test('a truncated database is torn: never a valid state, whatever its compression', async () => {
  const torn = readFileSync(file('torn', 'fixture.db'));
  assert.ok(torn.length < statSync(file('v2', 'fixture.db')).size);
  const zst = execFileSync('zstd', ['-c', '-q'], { input: gunzipSync(readFileSync(file('v1', 'fixture.db'))) });
  for (const db of [torn, zst.subarray(0, zst.length - 20)]) {
    const e = await parse(db).then(() => null, (x: unknown) => x);
    assert.instance(e, RepoError);
    assert.is((e as RepoError).code, 'E_TORN');
  }
  const absent = await parse(null).then(() => null, (x: unknown) => x);
  assert.is((absent as RepoError).code, 'E_NOT_FOUND');
});

test('the optional .sig is a primary but lists nothing', async () => {
  assert.equal(await entries(Buffer.from('signature bytes'), 'fixture.db.sig'), []);
  assert.is((await parse(readFileSync(file('v1', 'fixture.db')), Buffer.from('sig'))).listed.size, 0);
});

const withFiles = (db: Buffer, files: Buffer) => pacmanFormat.parsePrimary(new Map([['fixture.db', db], ['fixture.db.sig', null], ['fixture.files', files]]), root, { acceptTorn: false });
const code = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => (e instanceof RepoError ? e.code : String(e)));

test("repo-add's .files beside its .db is one valid state; a torn .files or one of another state is torn", async () => {
  const db = readFileSync(file('v2', 'fixture.db'));
  assert.is((await withFiles(db, readFileSync(file('v2', 'fixture.files')))).attrs.packages, '2');
  const torn = readFileSync(file('tornfiles', 'fixture.files'));
  assert.ok(torn.length < statSync(file('v2', 'fixture.files')).size);
  assert.ok(readFileSync(file('tornfiles', 'fixture.db')).equals(db), 'the .db of tornfiles is whole');
  assert.is(await code(withFiles(db, torn)), 'E_TORN');
  assert.is(await code(withFiles(db, readFileSync(file('v1', 'fixture.files')))), 'E_TORN', 'v1 .files beside the v2 .db');
});

test.run();
