import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseS3Backend, isS3Backend, s3Key } from './s3-location.js';

test('bucket and prefix of s3:// backends', () => {
  assert.equal(parseS3Backend('s3://cache/proxy/a'), { bucket: 'cache', prefix: 'proxy/a' });
  assert.equal(parseS3Backend('s3://my.bucket-1/'), { bucket: 'my.bucket-1', prefix: '' });
  assert.equal(parseS3Backend('s3://abc'), { bucket: 'abc', prefix: '' });
  assert.equal(parseS3Backend('s3://abc/p//'), { bucket: 'abc', prefix: 'p' });
  assert.equal(parseS3Backend('s3://abc/p//q'), 'prefix "p//q" may hold only letters, digits, ".", "_", "-" and single "/" between segments');
});

test('bad bucket names and prefixes are sentences', () => {
  for (const b of ['s3://A', 's3://ab', 's3://-abc', 's3://Upper', 's3://1.2.3.4', 's3://a..b', 's3://']) assert.type(parseS3Backend(b), 'string', b);
  assert.type(parseS3Backend('s3://abc/a/../b'), 'string');
  assert.type(parseS3Backend('s3://abc/a b'), 'string');
});

test('isS3Backend and keys', () => {
  assert.ok(isS3Backend('s3://x/y'));
  assert.not.ok(isS3Backend('/var/cache/s3'));
  assert.is(s3Key({ bucket: 'b', prefix: '' }, 'blobs/sha256/x'), 'blobs/sha256/x');
  assert.is(s3Key({ bucket: 'b', prefix: 'p/q' }, 'entries/i/k.json'), 'p/q/entries/i/k.json');
});

test.run();
