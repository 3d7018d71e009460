import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isPrivateAddress, isPublicHttps } from './public-host.js';

test('private, loopback, link-local, CGNAT and unspecified addresses are not public', () => {
  for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1'])
    assert.ok(isPrivateAddress(ip), ip);
  for (const ip of ['93.184.216.34', '2001:db8::1', '172.32.0.1']) assert.not.ok(isPrivateAddress(ip), ip);
});

test('public https only: http, localhost, private literals and names resolving to private addresses refused', async () => {
  const dns = (m: Record<string, string[]>) => async (h: string) => m[h] ?? [];
  assert.ok(await isPublicHttps(new URL('https://cdn.example/x'), dns({ 'cdn.example': ['93.184.216.34'] })));
  assert.not.ok(await isPublicHttps(new URL('http://cdn.example/x'), dns({ 'cdn.example': ['93.184.216.34'] })));
  assert.not.ok(await isPublicHttps(new URL('https://inside.example/x'), dns({ 'inside.example': ['93.184.216.34', '10.0.0.1'] })));
  assert.not.ok(await isPublicHttps(new URL('https://localhost/x')));
  assert.not.ok(await isPublicHttps(new URL('https://[::1]/x')));
  assert.not.ok(await isPublicHttps(new URL('https://169.254.169.254/latest')));
  assert.ok(await isPublicHttps(new URL('https://93.184.216.34/x')));
  assert.not.ok(await isPublicHttps(new URL('https://nowhere.example/x'), async () => { throw new Error('ENOTFOUND'); }));
});

test.run();
