import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { expectedDigest, tarballOf } from './integrity.js';

const body = Buffer.from('tarball bytes');
const b64 = (a: string) => createHash(a).update(body).digest('base64');
const hex = (a: string) => createHash(a).update(body).digest('hex');

test('strongest SRI algorithm wins, options ignored; shasum only without integrity', () => {
  assert.equal(expectedDigest({ integrity: `sha1-${b64('sha1')} sha256-${b64('sha256')} sha512-${b64('sha512')}?x=1`, shasum: hex('sha1') }), { algo: 'sha512', hex: hex('sha512') });
  assert.equal(expectedDigest({ integrity: `sha256-${b64('sha256')} sha384-${b64('sha384')}` }), { algo: 'sha384', hex: hex('sha384') });
  assert.equal(expectedDigest({ shasum: hex('sha1').toUpperCase() }), { algo: 'sha1', hex: hex('sha1') });
  assert.is(expectedDigest({ integrity: 'md5-xxxx' }), null);
  assert.is(expectedDigest(undefined), null);
});

test('tarball file names map to versions', () => {
  assert.equal(tarballOf({ params: { name: '@fx/demo', file: 'demo-2.0.0-beta.1.tgz' } }), { name: '@fx/demo', version: '2.0.0-beta.1' });
  assert.is(tarballOf({ params: { name: 'fx', file: 'other-1.0.0.tgz' } }), null);
});

test.run();
