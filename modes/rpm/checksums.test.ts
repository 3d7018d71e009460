// Repositories made by `createrepo_c --checksum sha384|sha224|sha512|sha1 --zck`: every listed file, the
// zchunk variants among them, and every package pinned in that digest, and held to it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseRepomd } from './repomd.js';
import { primaryEntries } from './primary-xml.js';
import { classifyRpm, rpmRoot } from './format.js';
import { rpmChecksumTree, repodataFile } from './test-fixture.js';
import { GenerationStore } from '../linux-repo/generation-store.js';
import { verifyingAlgs, type HashAlg } from '../linux-repo/format.js';
import { decoded } from '../linux-repo/decompress.js';
import { testStore } from '../linux-repo/test-store.js';

const ALGS = ['sha384', 'sha224', 'sha512', 'sha1'] as const;
const digest = (alg: string, f: string) => createHash(alg).update(readFileSync(f)).digest('hex');
let store: GenerationStore;
test.before(async () => { const t = await testStore(mkdtempSync(join(tmpdir(), 'cp-rpmck-')), 'rpm'); store = new GenerationStore(t.blobs, t.state); });

for (const alg of ALGS) {
  test(`${alg}: repomd.xml pins every listed file (the .zck variants too) by its real size and ${alg}`, () => {
    const t = rpmChecksumTree(alg);
    const p = parseRepomd(readFileSync(join(t, 'repodata/repomd.xml')));
    assert.is(p.listed.size, 9); // primary, filelists, other as .xml.gz, .sqlite.bz2 and .xml.zck
    assert.is([...p.listed.keys()].filter((n) => n.endsWith('.xml.zck')).length, 3);
    for (const [name, pins] of p.listed) {
      assert.equal(pins, { size: statSync(join(t, name)).size, [alg]: digest(alg, join(t, name)) }, name);
      // the unique name starts with that digest: looked up by it
      const c = classifyRpm(name, () => undefined);
      assert.equal(c, { type: 'digest', root: rpmRoot(''), dir: 'repodata', alg, hex: pins[alg]! });
    }
  });

  test(`${alg}: primary.xml gives every package its ${alg}`, async () => {
    const t = rpmChecksumTree(alg);
    const entries = [];
    for await (const e of primaryEntries(decoded(createReadStream(repodataFile(t, '-primary.xml.gz')), 'gzip'), '')) entries.push(e);
    assert.is(entries.length, 2);
    for (const e of entries) assert.equal(e, { path: e.path, size: statSync(join(t, e.path)).size, [alg]: digest(alg, join(t, e.path)) });
  });

  test(`${alg}: a listed .zck file is received against its size and ${alg}; other bytes are refused`, async () => {
    const t = rpmChecksumTree(alg);
    const [name, pins] = [...parseRepomd(readFileSync(join(t, 'repodata/repomd.xml'))).listed].find(([n]) => n.endsWith('-primary.xml.zck'))!;
    const bytes = readFileSync(join(t, name));
    const rec = await store.receive(Readable.from([bytes]), { pins, max: 1 << 20 });
    assert.is(rec.hashes[alg as HashAlg], pins[alg]);
    const flipped = Buffer.from(bytes); flipped[flipped.length - 1] ^= 1;
    let code = '';
    try { await store.receive(Readable.from([flipped]), { pins, max: 1 << 20 }); } catch (e) { code = (e as { code: string }).code; }
    assert.is(code, 'E_MISMATCH', 'same size, other bytes');
  });
}

test('verifying digests: sha256/sha512 where pinned, else the strongest other one', () => {
  assert.equal(verifyingAlgs({ sha256: 'a', md5: 'b', sha1: 'c' }), ['sha256']);
  assert.equal(verifyingAlgs({ sha512: 'a', sha256: 'b' }), ['sha256', 'sha512']);
  assert.equal(verifyingAlgs({ sha1: 'a', sha384: 'b', md5: 'c' }), ['sha384']);
  assert.equal(verifyingAlgs({ md5: 'a', sha224: 'b' }), ['sha224']);
  assert.equal(verifyingAlgs({ md5: 'a' }), ['md5']);
  assert.equal(verifyingAlgs({}), []);
});

test('an unknown checksum type is still refused', () => {
  const xml = readFileSync(join(rpmChecksumTree('sha384'), 'repodata/repomd.xml'), 'utf8').replace(/type="sha384"/g, 'type="sha3-256"');
  assert.throws(() => parseRepomd(Buffer.from(xml)), /no usable checksum/);
});

test.run();
