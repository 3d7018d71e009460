import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { apkIndexPackages, controlSha1 } from './apkindex.js';

test('C: is Q1 + base64 of a SHA-1; other forms are not a control digest', () => {
  assert.is(controlSha1('Q1' + Buffer.alloc(20, 0xab).toString('base64')), 'ab'.repeat(20));
  assert.is(controlSha1('Q1AAAA'), undefined);
  assert.is(controlSha1('0123456789abcdef0123456789abcdef'), undefined);
  assert.is(controlSha1(undefined), undefined);
});

test('stanzas: P, V, S and C of each package; incomplete stanzas and path-like names skipped', async () => {
  const c = 'Q1' + Buffer.alloc(20, 1).toString('base64');
  const text = `C:${c}\nP:a\nV:1.0-r0\nS:12\nT:x:y\n\nP:b\nV:2-r1\n\nP:../c\nV:1\nS:1\n\nP:d\nV:3-r0\nS:7`;
  const out = [];
  for await (const p of apkIndexPackages([text])) out.push(p);
  assert.equal(out, [{ name: 'a', version: '1.0-r0', size: 12, controlSha1: '01'.repeat(20) }, { name: 'd', version: '3-r0', size: 7 }]);
});

test.run();
