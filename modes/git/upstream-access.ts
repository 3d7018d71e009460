// How git reaches one upstream: the URL without userinfo, credentials as an Authorization header
// (basic or bearer), the instance's proxy (`http.proxy`: http, https or socks5, userinfo as proxy
// credentials) and the secrets to redact wherever git's messages are shown.
import type { RepoSpec } from './settings.js';

export interface UpstreamAccess { url: string; config: Record<string, string>; secrets: string[]; authorization?: string }

export function upstreamAccess(spec: Pick<RepoSpec, 'upstream' | 'auth' | 'proxy'>): UpstreamAccess {
  const u = new URL(spec.upstream);
  const secrets: string[] = [];
  let authorization: string | undefined;
  let auth = spec.auth;
  if (!auth && (u.username || u.password)) auth = { type: 'basic', username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  u.username = ''; u.password = '';
  const config: Record<string, string> = {
    // a sync is a fetch: no background maintenance in the mirror, no prompts, no redirects to another host
    'gc.auto': '0', 'maintenance.auto': 'false', 'fetch.writeCommitGraph': 'false', 'credential.helper': '', 'http.followRedirects': 'initial',
  };
  if (auth) {
    const value = auth.type === 'token' ? `Bearer ${auth.password}` : `Basic ${Buffer.from(`${auth.username ?? ''}:${auth.password}`).toString('base64')}`;
    config['http.extraHeader'] = `Authorization: ${value}`;
    authorization = value;
    secrets.push(value.split(' ')[1]!, auth.password);
  }
  if (spec.proxy) {
    config['http.proxy'] = spec.proxy;
    const p = new URL(spec.proxy);
    if (p.password) secrets.push(decodeURIComponent(p.password), p.password);
  }
  return { url: u.toString(), config, secrets, authorization };
}
