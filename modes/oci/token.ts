// The registry token protocol (distribution "Token Authentication Specification"): on a Bearer
// challenge, GET the realm with `service` and each `scope`; the engine caches the answer per
// (realm, service, scope), collapses concurrent fetches and retries the request once.
import type { UpstreamAuthHook } from '../../engine/mode.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/;

export const tokenAuth: UpstreamAuthHook = async ({ challenge, scope, credentials, get }) => {
  if (challenge.scheme !== 'bearer' || !challenge.params.realm) return null;
  const realm = new URL(challenge.params.realm);
  if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
  for (const s of (scope ?? '').split(' ').filter(Boolean)) realm.searchParams.append('scope', s);
  const headers: Record<string, string> = {};
  // configured credentials go to the token service only over https, or to a loopback realm
  if (credentials?.type === 'basic' && (realm.protocol === 'https:' || LOOPBACK.test(realm.hostname)))
    headers.authorization = `Basic ${Buffer.from(`${credentials.username ?? ''}:${credentials.password ?? ''}`).toString('base64')}`;
  const r = await get(realm.toString(), headers);
  if (r.status !== 200) throw new Error(`token service ${realm.host} answered ${r.status}`);
  let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
  try { doc = JSON.parse(r.body.toString('utf8')) as typeof doc; } catch { throw new Error(`token service ${realm.host} sent no JSON`); }
  const token = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
  if (!token) throw new Error(`token service ${realm.host} sent no token`);
  // 60 s when the answer names no lifetime, as the token spec says
  const expiresIn = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60;
  const issuedAt = typeof doc.issued_at === 'string' ? Date.parse(doc.issued_at) : NaN;
  return { header: `Bearer ${token}`, lifetimeMs: expiresIn * 1000, issuedAt: Number.isFinite(issuedAt) ? issuedAt : undefined };
};
