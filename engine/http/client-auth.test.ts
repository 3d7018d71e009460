import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClientAuth } from '../mode.js';
import { accessVerdict } from './client-auth.js';

const req = (authorization: string | undefined, path = 'ab/cd/abcd') => ({ authorization, path, publicBase: 'http://p/c' });
const rawToken: ClientAuth = {
  token: (a) => a.trim() || undefined,
  required: (c) => c.auth_required === true,
  open: (p) => p === 'config.json',
  challenge: (base) => ({ 'www-authenticate': `Raw login_url="${base}/"` }),
};

test('default: Bearer token or Basic password against the configured tokens, Basic challenge', () => {
  const access = { tokens: ['s3cret'], anonymous: false };
  assert.equal(accessVerdict(access, undefined, {}, 'i', req('Bearer s3cret')), { ok: true });
  assert.equal(accessVerdict(access, undefined, {}, 'i', req(`Basic ${Buffer.from('u:s3cret').toString('base64')}`)), { ok: true });
  assert.equal(accessVerdict(access, undefined, {}, 'i', req('s3cret')), { ok: false, message: 'credentials required', headers: { 'www-authenticate': 'Basic realm="cache-proxy i"' } });
  assert.equal(accessVerdict(undefined, undefined, {}, 'i', req(undefined)), { ok: true }, 'no tokens: open');
});

test('a mode reading a scheme-less token, with its own challenge', () => {
  const access = { tokens: ['s3cret'], anonymous: false };
  assert.equal(accessVerdict(access, rawToken, {}, 'i', req('s3cret')), { ok: true });
  assert.equal(accessVerdict(access, rawToken, {}, 'i', req('wrong')), { ok: false, message: 'wrong credentials', headers: { 'www-authenticate': 'Raw login_url="http://p/c/"' } });
  assert.equal(accessVerdict(access, rawToken, {}, 'i', req(undefined, 'config.json')).ok, false, 'configured tokens guard the open paths too');
});

test('required without configured tokens: any non-empty token passes, open paths need none', () => {
  const block = { auth_required: true };
  assert.equal(accessVerdict(undefined, rawToken, block, 'i', req('anything')), { ok: true });
  assert.equal(accessVerdict(undefined, rawToken, block, 'i', req(undefined)).ok, false);
  assert.equal(accessVerdict(undefined, rawToken, block, 'i', req('  ')).ok, false);
  assert.equal(accessVerdict(undefined, rawToken, block, 'i', req(undefined, 'config.json')), { ok: true });
  assert.equal(accessVerdict(undefined, rawToken, {}, 'i', req(undefined)), { ok: true }, 'not required: open');
});

test.run();
