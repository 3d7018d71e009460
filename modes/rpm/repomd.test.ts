import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseRepomd, PRIMARY_HREF } from './repomd.js';
import { RepoError } from '../linux-repo/format.js';
import { rpmFixture } from './test-fixture.js';

const fx = rpmFixture();
const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const fails = (xml: string, re: RegExp) => {
  try { parseRepomd(Buffer.from(xml)); } catch (e) { assert.instance(e, RepoError); assert.match((e as Error).message, re); return; }
  assert.unreachable(`accepted: ${xml.slice(0, 60)}`);
};

test('createrepo_c repomd.xml: every data file pinned by its real size and sha256, primary named', () => {
  const p = parseRepomd(readFileSync(join(fx, 'v1/repodata/repomd.xml')));
  assert.is(p.listed.size, 6); // primary, filelists, other as .xml.gz and .sqlite.bz2
  for (const [name, pins] of p.listed) {
    assert.is(pins.size, statSync(join(fx, 'v1', name)).size);
    assert.is(pins.sha256, sha256(join(fx, 'v1', name)));
  }
  assert.match(p.attrs[PRIMARY_HREF]!, /^repodata\/[0-9a-f]{64}-primary\.xml\.gz$/);
  assert.is(p.attrs.revision, '1700000001');
  assert.ok(p.date! > 0);
});

test('createrepo_c --update: a later state is dated later (rollback check)', () => {
  const a = parseRepomd(readFileSync(join(fx, 'v1/repodata/repomd.xml')));
  const b = parseRepomd(readFileSync(join(fx, 'v2/repodata/repomd.xml')));
  assert.ok(b.date! > a.date!);
  assert.is.not(b.attrs[PRIMARY_HREF], a.attrs[PRIMARY_HREF]);
});

test('xz tree: primary.xml.xz and sqlite.xz variants listed', () => {
  const p = parseRepomd(readFileSync(join(fx, 'xz/repodata/repomd.xml')));
  assert.match(p.attrs[PRIMARY_HREF]!, /-primary\.xml\.xz$/);
  assert.ok([...p.listed.keys()].some((n) => n.endsWith('-primary.sqlite.xz')));
});

const data = (inner: string) => `<?xml version="1.0"?><repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1</revision>${inner}</repomd>`;
const one = (type: string, href: string, ck = `<checksum type="sha256">${'0'.repeat(64)}</checksum>`, size = '<size>5</size>') => `<data type="${type}">${ck}<location href="${href}"/><timestamp>10</timestamp>${size}</data>`;

test('all-digit checksums stay text; "sha" is SHA-1; xml:base entries are left to the client', () => {
  const p = parseRepomd(Buffer.from(data(one('primary', 'repodata/p.xml.gz') + one('other', 'repodata/o.xml.gz', `<checksum type="sha">${'1'.repeat(40)}</checksum>`) + `<data type="filelists"><checksum type="sha256">${'2'.repeat(64)}</checksum><location xml:base="http://elsewhere.example/" href="repodata/f.xml.gz"/><size>1</size></data>`)));
  assert.equal(p.listed.get('repodata/p.xml.gz'), { size: 5, sha256: '0'.repeat(64) });
  assert.equal(p.listed.get('repodata/o.xml.gz'), { size: 5, sha1: '1'.repeat(40) });
  assert.not.ok(p.listed.has('repodata/f.xml.gz'));
  assert.is(p.warnings.length, 1);
  assert.is(p.date, 10_000);
});

test('invalid states are refused', () => {
  fails('<repomd><data', /well-formed/);
  fails(data(one('other', 'repodata/o.xml.gz')), /no primary/);
  fails(data(one('primary', '../p.xml.gz')), /outside its root/);
  fails(data(one('primary', 'repodata/p.xml.gz', '<checksum type="sha256">abc</checksum>')), /checksum/);
  fails(data(one('primary', 'repodata/p.xml.gz', undefined, '')), /size/);
});

test.run();
