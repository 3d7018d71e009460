import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { classifyRpm, rpmFormat, rpmRoot } from './format.js';
import { PRIMARY_HREF } from './repomd.js';
import type { RootRef } from '../linux-repo/format.js';
import type { PackageEntry } from '../linux-repo/package-index.js';
import { rpmFixture, repodataFile } from './test-fixture.js';

const none = () => undefined;
const fx = rpmFixture();
const collect = async (it: AsyncIterable<PackageEntry>) => { const out: PackageEntry[] = []; for await (const e of it) out.push(e); return out; };

test('roots from repodata/: primaries, listed files, passthrough', () => {
  assert.equal(classifyRpm('el/9/BaseOS/x86_64/os/repodata/repomd.xml', none), { type: 'primary', root: rpmRoot('el/9/BaseOS/x86_64/os'), name: 'repodata/repomd.xml' });
  assert.equal(classifyRpm('repodata/repomd.xml.asc', none), { type: 'primary', root: rpmRoot(''), name: 'repodata/repomd.xml.asc' });
  assert.equal(classifyRpm('fx/repodata/abc-primary.xml.gz', none), { type: 'listed', root: rpmRoot('fx'), name: 'repodata/abc-primary.xml.gz' });
  assert.equal(classifyRpm('fx/repodata/comps.xml', none), { type: 'listed', root: rpmRoot('fx'), name: 'repodata/comps.xml' });
  // createrepo's unique names: looked up by digest in every retained generation
  assert.equal(classifyRpm(`fx/repodata/${'a'.repeat(64)}-primary.xml.gz`, none), { type: 'digest', root: rpmRoot('fx'), dir: 'repodata', alg: 'sha256', hex: 'a'.repeat(64) });
  assert.equal(classifyRpm(`repodata/${'b'.repeat(40)}-other.xml.gz`, none), { type: 'digest', root: rpmRoot(''), dir: 'repodata', alg: 'sha1', hex: 'b'.repeat(40) });
  const known = (p: string): RootRef | undefined => (p.startsWith('fx/') ? rpmRoot('fx') : undefined);
  assert.equal(classifyRpm('fx/media.1/media', known), { type: 'listed', root: rpmRoot('fx'), name: 'media.1/media' });
  assert.equal(classifyRpm('el/9/mirrorlist', none), { type: 'passthrough' });
  assert.equal(classifyRpm('metalink', none), { type: 'passthrough' });
});

test('every createrepo_c name is digest-classified with the checksum repomd pins for it', async () => {
  const p = await rpmFormat.parsePrimary(new Map([['repodata/repomd.xml', readFileSync(join(fx, 'v1/repodata/repomd.xml'))]]), rpmRoot(''), { acceptTorn: false });
  for (const [name, pins] of p.listed) {
    const c = classifyRpm(name, none);
    assert.ok(c.type === 'digest' && c.dir === 'repodata' && pins[c.alg] === c.hex, name);
  }
});

test('repomd → primary is mandatory; only primary.xml feeds the package index', async () => {
  const files = new Map([['repodata/repomd.xml', readFileSync(join(fx, 'v1/repodata/repomd.xml'))], ['repodata/repomd.xml.asc', null], ['repodata/repomd.xml.key', null]]);
  const p = await rpmFormat.parsePrimary(files, rpmRoot(''), { acceptTorn: false });
  assert.equal(rpmFormat.mandatory(p), [p.attrs[PRIMARY_HREF]]);
  assert.is(rpmFormat.indexGroup(p.attrs[PRIMARY_HREF]!), 'primary');
  for (const n of p.listed.keys()) if (n !== p.attrs[PRIMARY_HREF]) assert.is(rpmFormat.indexGroup(n), null, n);
  assert.equal(rpmFormat.primaryNames(rpmRoot('')), ['repodata/repomd.xml', 'repodata/repomd.xml.asc', 'repodata/repomd.xml.key']);
  let code = '';
  await rpmFormat.parsePrimary(new Map([['repodata/repomd.xml', null]]), rpmRoot(''), { acceptTorn: false }).catch((e: { code: string }) => { code = e.code; });
  assert.is(code, 'E_NOT_FOUND');
});

test('readIndex decodes primary.xml.gz, .xz (createrepo_c) and .zst (the .xz recompressed by zstd) alike', async () => {
  const gz = await collect(rpmFormat.readIndex('repodata/x-primary.xml.gz', createReadStream(repodataFile(join(fx, 'v1'), '-primary.xml.gz')), rpmRoot('fx')));
  const xzFile = repodataFile(join(fx, 'xz'), '-primary.xml.xz');
  const xz = await collect(rpmFormat.readIndex('repodata/x-primary.xml.xz', createReadStream(xzFile), rpmRoot('fx')));
  const zst = execFileSync('zstd', ['-q', '-c'], { input: execFileSync('xz', ['-dc', xzFile]) });
  const zs = await collect(rpmFormat.readIndex('repodata/x-primary.xml.zst', Readable.from([zst]), rpmRoot('fx')));
  assert.is(gz.length, 2);
  assert.equal(xz, gz);
  assert.equal(zs, gz);
  assert.ok(gz.every((e) => e.path.startsWith('fx/Packages/') && e.sha256?.length === 64));
});

test.run();
