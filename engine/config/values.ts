// Value types of the configuration (engine spec §1.2). Every parser throws a ValueError whose message
// says what was expected; the loader puts it after the key's line:col and path.
import { isIPv4, isIPv6 } from 'node:net';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** a rejected value: `reason` says what is wrong without repeating the value; `generic` = only "not a X" */
export class ValueError extends Error {
  constructor(readonly reason: string, value?: unknown, readonly generic = false) {
    super(value === undefined ? reason : `${reason}: ${JSON.stringify(value)}`);
  }
}

/** `0`, or number+unit runs (`300ms`, `45s`, `1h30m`, `1.5h`, units ns us µs ms s m h d w) → milliseconds */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') {
    if (v === 0) return 0;
    if (v < 0) throw new ValueError('must not be negative', v);
    throw new ValueError(`missing unit (e.g. ${v}s)`, v);
  }
  const s = String(v).trim();
  if (s === '') throw new ValueError('must not be empty', s);
  if (s === '0') return 0;
  if (/^-/.test(s)) throw new ValueError('must not be negative', s);
  if (/^\+?\d+(\.\d+)?$/.test(s)) throw new ValueError(`missing unit (e.g. ${s.replace(/^\+/, '')}s)`, s);
  const re = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/y;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== s.length) throw new ValueError('not a duration', s, true);
  return total;
}

const LEGACY_FOREVER = new Set(['always', 'infinite', '0']);
const LEGACY_NEVER = new Set(['none', 'infinite', '0']);

/** duration ≥ 1s or `forever` → ms or Infinity; legacy `always`, `infinite`, `0` mean forever */
export function parseFreshness(v: string | number): number {
  const s = String(v).trim();
  if (s === 'forever' || LEGACY_FOREVER.has(s)) return Infinity;
  const ms = parseDuration(typeof v === 'number' ? v : s);
  if (ms < 1000) throw new ValueError('must be at least 1s', s);
  return ms;
}
/** the legacy spelling's notice, or null */
export function legacyFreshness(v: unknown): string | null {
  const s = typeof v === 'number' || typeof v === 'string' ? String(v).trim() : '';
  return LEGACY_FOREVER.has(s) ? `"${s}" is a legacy spelling of "forever"; write forever` : null;
}
export const isLegacyFreshness = (v: unknown): boolean => legacyFreshness(v) !== null;

/** duration or `never` → ms or Infinity; legacy `none`, `infinite`, `0` mean never */
export function parseExpiration(v: string | number): number {
  const s = String(v).trim();
  if (s === 'never' || LEGACY_NEVER.has(s)) return Infinity;
  return parseDuration(typeof v === 'number' ? v : s);
}
export function legacyExpiration(v: unknown): string | null {
  const s = typeof v === 'number' || typeof v === 'string' ? String(v).trim() : '';
  return LEGACY_NEVER.has(s) ? `"${s}" is a legacy spelling of "never"; write never` : null;
}
export const isLegacyExpiration = (v: unknown): boolean => legacyExpiration(v) !== null;

const SIZE: Record<string, number> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };
/** bytes, or number + KB MB GB TB (10^3) / KiB MiB GiB TiB (2^10) → bytes */
export function parseSize(v: string | number): number {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0) return v;
    throw new ValueError('must be a whole, non-negative number of bytes', v);
  }
  const s = String(v).trim();
  if (/^-/.test(s)) throw new ValueError('must not be negative', s);
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/.exec(s);
  if (!m) throw new ValueError('not a size', s, true);
  return Math.floor(Number(m[1]) * SIZE[m[2] ?? '']!);
}

/** absolute http/https URL with a host, no fragment → the URL with trailing `/` trimmed */
export function parseUrl(v: string): string {
  const s = String(v);
  if (/\s/.test(s)) throw new ValueError('must not contain whitespace', s);
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(s)) throw new ValueError('missing scheme: write http:// or https://', s);
  let u: URL;
  try { u = new URL(s); } catch { throw new ValueError('not a valid URL', s, true); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ValueError(`scheme must be http or https, not ${u.protocol.slice(0, -1)}`, s);
  if (!u.hostname) throw new ValueError('needs a host', s);
  if (s.includes('#')) throw new ValueError('must not have a fragment', s);
  return s.replace(/\/+$/, '');
}

/** a proxy URL: http, https or socks5 with a host */
export function parseProxyUrl(v: string): string {
  let u: URL;
  try { u = new URL(String(v)); } catch { throw new ValueError('not a valid URL', v, true); }
  if (!['http:', 'https:', 'socks5:'].includes(u.protocol)) throw new ValueError(`scheme must be http, https or socks5, not ${u.protocol.slice(0, -1)}`, v);
  if (!u.hostname) throw new ValueError('needs a host', v);
  return String(v).replace(/\/+$/, '');
}

/** host:port, host empty, `localhost` or an IP literal (`[::1]:80`) */
export function parseHostPort(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(String(v));
  if (!m) throw new ValueError('not host:port', v, true);
  const host = m[1] ?? m[2] ?? '';
  if (m[1] !== undefined ? !isIPv6(host) : host !== '' && host !== 'localhost' && !isIPv4(host)) {
    throw new ValueError(`host "${host}" is neither empty, localhost nor an IP literal`, v);
  }
  const port = Number(m[3]);
  if (port > 65535) throw new ValueError(`port ${port} out of range`, v);
  return { host, port };
}

export const isLoopbackHost = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\./.test(host);
const WILDCARD = new Set(['', '0.0.0.0', '::']);
/** whether two listen addresses would collide (same port and the same or a wildcard host) */
export function bindsOverlap(a: string, b: string): boolean {
  try {
    const x = parseHostPort(a), y = parseHostPort(b);
    if (x.port !== y.port || x.port === 0) return false;
    const norm = (h: string) => (h === 'localhost' ? '127.0.0.1' : h);
    return norm(x.host) === norm(y.host) || WILDCARD.has(x.host) || WILDCARD.has(y.host);
  } catch { return a === b; }
}

/** null when `v` is a valid mount, else what is wrong */
export function checkMount(v: string): string | null {
  if (typeof v !== 'string' || !v.startsWith('/')) return 'must start with "/"';
  if (v === '/') return 'must not be "/"';
  if (v.includes('//')) return 'must not contain "//"';
  if (/[\s{}]/.test(v)) return 'must not contain whitespace or braces';
  const clean = cleanMount(v);
  if (clean === '/-' || clean.startsWith('/-/')) return 'must not be under /-/ (reserved)';
  if (clean.split('/').some((s) => s === '.' || s === '..')) return 'must not contain "." or ".." segments';
  return null;
}
/** the mount with its trailing `/` removed */
export const cleanMount = (v: string): string => (v.length > 1 ? v.replace(/\/+$/, '') || '/' : v);

/** an entry of server.trusted_proxies: `loopback`, an IP or a CIDR */
export function parseCidr(v: string): string {
  const s = String(v);
  if (s === 'loopback') return s;
  const [ip, bits, ...rest] = s.split('/');
  const fam = isIPv4(ip ?? '') ? 4 : isIPv6(ip ?? '') ? 6 : 0;
  if (!fam || rest.length) throw new ValueError('not an IP address or CIDR', s, true);
  if (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > (fam === 4 ? 32 : 128))) throw new ValueError('bad prefix length', s);
  return s;
}
