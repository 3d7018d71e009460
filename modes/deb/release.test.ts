import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { clearsignedText, sameRelease, parseRelease, parseDebPrimary } from './release.js';
import { debFixture } from './test-fixture.js';

const fx = debFixture();
const suite = (t: string, s = 'bookworm') => join(fx, t, 'dists', s);

test('clearsigned InRelease made by gpg carries exactly the Release text', () => {
  const text = clearsignedText(readFileSync(join(suite('v1'), 'InRelease'), 'utf8'));
  assert.ok(text);
  assert.ok(sameRelease(text!, readFileSync(join(suite('v1'), 'Release'), 'utf8')));
  assert.not.ok(sameRelease(text!, readFileSync(join(suite('v2'), 'Release'), 'utf8')));
});

test('dash-escaping is undone', () => {
  const msg = '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nA: 1\n- -dash\n-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n';
  assert.is(clearsignedText(msg), 'A: 1\n-dash\n');
  assert.is(clearsignedText('not signed'), null);
});

test('Release from apt-ftparchive: every listed file with size and strong hashes, by-hash, date', async () => {
  const r = await parseRelease(readFileSync(join(suite('v1'), 'Release'), 'utf8'));
  const xz = r.listed.get('main/binary-amd64/Packages.xz')!;
  const bytes = readFileSync(join(suite('v1'), 'main/binary-amd64/Packages.xz'));
  assert.is(xz.size, bytes.length);
  assert.is(xz.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.is(xz.sha512, createHash('sha512').update(bytes).digest('hex'));
  assert.ok(r.listed.has('main/binary-amd64/Packages'));
  assert.ok(r.listed.has('main/binary-amd64/Packages.gz'));
  assert.ok(r.listed.has('main/i18n/Translation-en.xz'));
  assert.ok(r.listed.has('main/Contents-amd64.gz'));
  assert.is(r.attrs['acquire-by-hash'], 'yes');
  assert.is(r.attrs.suite, 'bookworm');
  assert.ok(r.date && Math.abs(r.date - Date.now()) < 24 * 3600_000);
});

test('no strong hash section, bad lines, escaping names → invalid', async () => {
  for (const t of ['Suite: x\nMD5Sum:\n d41d8cd98f00b204e9800998ecf8427e 0 a\n', 'Suite: x\nSHA256:\n zz 1 a\n', `Suite: x\nSHA256:\n ${'a'.repeat(64)} 1 ../etc/passwd\n`]) {
    let code = '';
    try { await parseRelease(t); } catch (e) { code = (e as { code: string }).code; }
    assert.is(code, 'E_INVALID', t);
  }
});

test('primary trio: InRelease preferred; differing texts are torn unless accepted; none → not found', async () => {
  const inr = readFileSync(join(suite('v2'), 'InRelease'));
  const rel1 = readFileSync(join(suite('v1'), 'Release'));
  const ok = await parseDebPrimary(inr, readFileSync(join(suite('v2'), 'Release')), false);
  assert.ok(ok.listed.size > 0);
  let code = '';
  try { await parseDebPrimary(inr, rel1, false); } catch (e) { code = (e as { code: string }).code; }
  assert.is(code, 'E_TORN');
  const accepted = await parseDebPrimary(inr, rel1, true);
  assert.is(accepted.warnings.length, 1);
  const onlyRelease = await parseDebPrimary(null, rel1, false);
  assert.ok(onlyRelease.listed.has('main/binary-amd64/Packages.xz'));
  code = '';
  try { await parseDebPrimary(null, null, false); } catch (e) { code = (e as { code: string }).code; }
  assert.is(code, 'E_NOT_FOUND');
});

test.run();
