// Redirect targets a kind may follow beyond its configured origins (`redirects: 'public'`, e.g. content
// verified by digest on a CDN): https only, and every address of the host public — never loopback,
// private, link-local (cloud metadata), CGNAT or unspecified (the SSRF guard: docs/architecture.md).
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

function v4Private(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number) as [number, number];
  return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || a >= 224;
}

export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) return v4Private(ip);
  if (v !== 6) return true;
  const x = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(x);
  if (mapped) return v4Private(mapped[1]!);
  return x === '::' || x === '::1' || /^f[cd]/.test(x) || /^fe[89ab]/.test(x) || /^ff/.test(x);
}

export async function isPublicHttps(u: URL, resolve: (host: string) => Promise<string[]> = async (h) => (await lookup(h, { all: true })).map((a) => a.address)): Promise<boolean> {
  if (u.protocol !== 'https:') return false;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return false;
  if (isIP(host)) return !isPrivateAddress(host);
  try {
    const addrs = await resolve(host);
    return addrs.length > 0 && addrs.every((a) => !isPrivateAddress(a));
  } catch { return false; }
}
