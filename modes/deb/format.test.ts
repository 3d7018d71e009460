import { test } from 'uvu';
import { modeBlockWithDefaults } from '../../engine/config/schema.js';
import deb from './index.js';
import * as assert from 'uvu/assert';
import { createReadStream, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { classifyDeb, debFormat, distributionRoot, flatRoot, archiveBase } from './format.js';
import { stanzas } from './stanza.js';
import type { RootRef } from '../linux-repo/format.js';
import type { PackageEntry } from '../linux-repo/package-index.js';
import { debFixture } from './test-fixture.js';
import { repoSettings } from '../linux-repo/settings.js';

const none = () => undefined;
const fx = debFixture();

test('distribution paths: primary names the suite (with "/" allowed), by-hash, listed', () => {
  assert.equal(classifyDeb('debian/dists/bookworm/InRelease', none), { type: 'primary', root: distributionRoot('debian/dists/bookworm'), name: 'InRelease' });
  assert.equal(classifyDeb('dists/bookworm/updates/Release.gpg', none), { type: 'primary', root: distributionRoot('dists/bookworm/updates'), name: 'Release.gpg' });
  const known = (p: string): RootRef | undefined => (p.startsWith('dists/bookworm/') ? distributionRoot('dists/bookworm') : undefined);
  assert.equal(classifyDeb('dists/bookworm/main/binary-amd64/by-hash/SHA512/ABCD', known), { type: 'digest', root: distributionRoot('dists/bookworm'), dir: 'main/binary-amd64', alg: 'sha512', hex: 'abcd' });
  assert.equal(classifyDeb('dists/bookworm/main/binary-amd64/Release', known), { type: 'listed', root: distributionRoot('dists/bookworm'), name: 'main/binary-amd64/Release' });
  assert.equal(classifyDeb('dists/sid/main/binary-amd64/Packages.xz', none), { type: 'listed', root: distributionRoot('dists/sid'), name: 'main/binary-amd64/Packages.xz' });
  assert.is(archiveBase(distributionRoot('debian/dists/bookworm/updates')), 'debian');
});

test('flat paths and passthrough', () => {
  assert.equal(classifyDeb('flat/InRelease', none), { type: 'primary', root: flatRoot('flat'), name: 'InRelease' });
  assert.equal(classifyDeb('Packages.xz', none), { type: 'listed', root: flatRoot(''), name: 'Packages.xz' });
  assert.equal(classifyDeb('debian/README', none), { type: 'passthrough' });
  assert.equal(classifyDeb('debian/dists/README', none), { type: 'passthrough' });
});

test('upstream names: by-hash SHA256 first when the Release allows it, then the path', () => {
  const pins = { size: 1, sha256: 'a'.repeat(64), sha512: 'b'.repeat(128) };
  const parsed = { listed: new Map(), attrs: { 'acquire-by-hash': 'yes' }, warnings: [] };
  const byHash = (on: boolean) => ({ ...repoSettings(modeBlockWithDefaults(deb, { upstreams: ['http://upstream.test'] })), upstreamByHash: on });
  assert.equal(debFormat.upstreamNames('main/binary-amd64/Packages.xz', pins, parsed, byHash(true)), [`main/binary-amd64/by-hash/SHA256/${'a'.repeat(64)}`, 'main/binary-amd64/Packages.xz']);
  assert.equal(debFormat.upstreamNames('Packages.xz', pins, { ...parsed, attrs: {} }, byHash(true)), ['Packages.xz']);
  assert.equal(debFormat.upstreamNames('main/binary-amd64/Packages.xz', pins, parsed, byHash(false)), ['main/binary-amd64/Packages.xz']);
});

test('pdiff indexes are refused when pdiffs are off', () => {
  const s = repoSettings(modeBlockWithDefaults(deb, { upstreams: ['http://upstream.test'] }));
  assert.is(debFormat.refuse!('main/binary-amd64/Packages.diff/Index', s), null);
  assert.match(debFormat.refuse!('main/binary-amd64/Packages.diff/Index', { ...s, pdiffs: false }) ?? '', /pdiffs are disabled/);
  assert.is(debFormat.refuse!('main/binary-amd64/Packages.xz', { ...s, pdiffs: false }), null);
});

test('index groups: one per uncompressed Packages/Sources name', () => {
  assert.is(debFormat.indexGroup('main/binary-amd64/Packages.xz'), 'main/binary-amd64/Packages');
  assert.is(debFormat.indexGroup('main/source/Sources.gz'), 'main/source/Sources');
  assert.is(debFormat.indexGroup('main/i18n/Translation-en.xz'), null);
  assert.is(debFormat.indexGroup('main/binary-amd64/Packages.diff/Index'), null);
});

const collect = async (it: AsyncIterable<PackageEntry>) => { const out: PackageEntry[] = []; for await (const e of it) out.push(e); return out; };

test('Packages.xz from apt-ftparchive → pool paths resolved against the archive base, digests of the real .deb', async () => {
  const root = distributionRoot('debian/dists/bookworm');
  const es = await collect(debFormat.readIndex('main/binary-amd64/Packages.xz', createReadStream(join(fx, 'v1/dists/bookworm/main/binary-amd64/Packages.xz')), root));
  const hello = es.find((e) => e.path === 'debian/pool/main/c/cp-hello/cp-hello_1.0_all.deb')!;
  const deb = readFileSync(join(fx, 'v1/pool/main/c/cp-hello/cp-hello_1.0_all.deb'));
  assert.is(hello.size, deb.length);
  assert.is(hello.sha256, createHash('sha256').update(deb).digest('hex'));
  assert.is(hello.sha512, createHash('sha512').update(deb).digest('hex'));
  assert.is(es.length, 2);
});

test('flat Packages: ./x.deb resolved against the flat directory', async () => {
  const es = await collect(debFormat.readIndex('Packages', createReadStream(join(fx, 'v1/flat/Packages')), flatRoot('deb/flat')));
  assert.equal(es.map((e) => e.path), ['deb/flat/cp-hello_1.0_all.deb']);
});

test('Sources: Directory + Checksums-Sha256, Files gives md5', async () => {
  const text = `Package: x\nDirectory: pool/main/x\nFiles:\n ${'1'.repeat(32)} 10 x_1.dsc\nChecksums-Sha256:\n ${'2'.repeat(64)} 10 x_1.dsc\n ${'3'.repeat(64)} 99 x_1.tar.xz\n\n`;
  const es = await collect(debFormat.readIndex('main/source/Sources', Readable.from([text]), distributionRoot('dists/bookworm')));
  assert.equal(es, [{ path: 'pool/main/x/x_1.dsc', size: 10, sha256: '2'.repeat(64), md5: '1'.repeat(32) }, { path: 'pool/main/x/x_1.tar.xz', size: 99, sha256: '3'.repeat(64) }]);
});

test('stanza parser: continuation lines, comments, line cap error surfaces', async () => {
  const got: Map<string, string>[] = [];
  for await (const s of stanzas(['A: 1\nDescription: x\n more\n\n# c\nB: 2\n'])) got.push(s);
  assert.is(got.length, 2);
  assert.is(got[0]!.get('description'), 'x\nmore');
  let failed = false;
  try { for await (const _ of stanzas([' orphan\n'])) { /* */ } } catch { failed = true; }
  assert.ok(failed);
});

test.run();
