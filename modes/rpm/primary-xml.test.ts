import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { primaryEntries } from './primary-xml.js';
import type { PackageEntry } from '../linux-repo/package-index.js';
import { rpmFixture, repodataFile } from './test-fixture.js';

const fx = rpmFixture();
const collect = async (it: AsyncIterable<PackageEntry>) => { const out: PackageEntry[] = []; for await (const e of it) out.push(e); return out; };

test('createrepo_c primary.xml: location joined to the root, package size and sha256 of the real .rpm', async () => {
  const es = await collect(primaryEntries(createReadStream(repodataFile(join(fx, 'v2'), '-primary.xml.gz')).pipe(createGunzip()), 'el/9'));
  assert.equal(es.map((e) => e.path).sort(), ['el/9/Packages/cp-data-1.0-1.noarch.rpm', 'el/9/Packages/cp-hello-1.0-1.noarch.rpm', 'el/9/Packages/cp-hello-2.0-1.noarch.rpm']);
  for (const e of es) {
    const rpm = readFileSync(join(fx, 'v2', e.path.slice('el/9/'.length)));
    assert.is(e.size, rpm.length);
    assert.is(e.sha256, createHash('sha256').update(rpm).digest('hex'));
  }
});

test('split across chunk boundaries byte by byte: same entries; <packager> does not start an element', async () => {
  const xml = readFileSync(repodataFile(join(fx, 'v1'), '-primary.xml.gz'));
  const text = await new Promise<Buffer>((res, rej) => { const parts: Buffer[] = []; Readable.from([xml]).pipe(createGunzip()).on('data', (c: Buffer) => parts.push(c)).on('end', () => res(Buffer.concat(parts))).on('error', rej); });
  assert.match(text.toString(), /<packager>/);
  const whole = await collect(primaryEntries(Readable.from([text]), ''));
  const bytes = await collect(primaryEntries(Readable.from([...text].map((b) => Buffer.from([b]))), ''));
  assert.is(whole.length, 2);
  assert.equal(bytes, whole);
});

test('entries without a usable location or size are skipped; xml:base packages are not ours', async () => {
  const pkg = (loc: string, size = '<size package="7"/>') => `<package type="rpm"><name>x</name><checksum type="sha">${'a'.repeat(40)}</checksum>${size}${loc}</package>`;
  const xml = `<metadata packages="4">${pkg('<location href="a.rpm"/>')}${pkg('<location href="../b.rpm"/>')}${pkg('<location xml:base="http://elsewhere.example/" href="c.rpm"/>')}${pkg('<location href="d.rpm"/>', '')}</metadata>`;
  assert.equal(await collect(primaryEntries(Readable.from([xml]), 'r')), [{ path: 'r/a.rpm', size: 7, sha1: 'a'.repeat(40) }]);
});

test('an endless package element fails instead of filling memory', async () => {
  const huge = function* () { yield '<metadata><package type="rpm"><description>'; for (let i = 0; i < 17; i++) yield 'x'.repeat(1024 * 1024); };
  let failed = false;
  try { await collect(primaryEntries(Readable.from(huge()), '')); } catch (e) { failed = /exceeds/.test((e as Error).message); }
  assert.ok(failed);
});

test.run();
