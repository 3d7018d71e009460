// Value types of the configuration: durations, freshness, expirations, sizes, URLs, host:port, mounts.
import { homedir } from 'node:os';
import { join } from 'node:path';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export class ValueError extends Error {}

/** `0`, or number+unit runs (`300ms`, `1h30m`, `1.5h`) → milliseconds */
export function parseDuration(v: string | number): number {
  const s = String(v).trim();
  if (s === '0') return 0;
  if (/^-/.test(s)) throw new ValueError('must not be negative');
  if (/^\d+(\.\d+)?$/.test(s)) throw new ValueError(`missing unit in "${s}" (e.g. ${s}s)`);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w)/gy;
  let total = 0, pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) { total += Number(m[1]) * UNIT_MS[m[2]!]!; pos = re.lastIndex; }
  if (pos !== s.length || s.length === 0) throw new ValueError(`must be a duration like 30s, 5m or 1h30m, got "${s}"`);
  return total;
}

/** duration ≥ 1s or `forever` → ms or Infinity; legacy `always`, `infinite`, `0` mean forever */
export function parseFreshness(v: string | number): number {
  const s = String(v).trim();
  if (s === 'forever' || s === 'always' || s === 'infinite' || s === '0') return Infinity;
  const ms = parseDuration(s);
  if (ms < 1000) throw new ValueError(`must be at least 1s or "forever", got "${s}"`);
  return ms;
}
export const isLegacyFreshness = (v: unknown): boolean => ['always', 'infinite', '0', 0].includes(v as string);

/** duration or `never` → ms or Infinity; legacy `none`, `infinite`, `0` mean never */
export function parseExpiration(v: string | number): number {
  const s = String(v).trim();
  if (s === 'never' || s === 'none' || s === 'infinite' || s === '0') return Infinity;
  return parseDuration(s);
}
export const isLegacyExpiration = (v: unknown): boolean => ['none', 'infinite', '0', 0].includes(v as string);

const SIZE: Record<string, number> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };
export function parseSize(v: string | number): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*$/.exec(String(v));
  if (!m) throw new ValueError(`must be a size like 512MiB or 10GB, got "${String(v)}"`);
  return Math.floor(Number(m[1]) * SIZE[m[2] ?? '']!);
}

export function parseUrl(v: string): string {
  let u: URL;
  try { u = new URL(v); } catch { throw new ValueError(`must be an absolute http(s) URL, got "${v}"`); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ValueError(`must be an http or https URL, got "${v}"`);
  if (!u.hostname) throw new ValueError(`URL needs a host: "${v}"`);
  if (u.hash || v.includes('#')) throw new ValueError(`URL must not have a fragment: "${v}"`);
  return v.replace(/\/+$/, '');
}

export function parseHostPort(v: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(v);
  if (!m) throw new ValueError(`must be host:port (host empty, localhost or an IP literal), got "${v}"`);
  const host = m[1] ?? m[2] ?? '';
  if (host && host !== 'localhost' && !/^\d{1,3}(\.\d{1,3}){3}$/.test(host) && !m[1]) throw new ValueError(`host must be empty, localhost or an IP literal, got "${host}"`);
  const port = Number(m[3]);
  if (port > 65535) throw new ValueError(`port out of range: ${port}`);
  return { host, port };
}

export function checkMount(v: string): string | null {
  if (!v.startsWith('/')) return 'must start with "/"';
  if (v === '/') return 'must not be "/"';
  if (v.includes('//')) return 'must not contain "//"';
  if (/[\s{}]/.test(v)) return 'must not contain whitespace or braces';
  if (v === '/-' || v.startsWith('/-/')) return 'must not be under /-/ (reserved)';
  if (v.split('/').some((s) => s === '.' || s === '..')) return 'must not contain "." or ".." segments';
  return null;
}

const DURATION_UNITS: [string, number][] = [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];
/** milliseconds as a duration a config accepts: 5400000 → "1h30m", 0 → "0" */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  let rest = Math.round(ms), out = '';
  for (const [unit, n] of DURATION_UNITS) {
    const q = Math.floor(rest / n);
    if (q) { out += `${q}${unit}`; rest -= q * n; }
  }
  return out;
}

const SIZE_UNITS: [string, number][] = [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]];
/** bytes as a size a config accepts: the largest binary unit that divides it exactly, else bytes */
export function formatSize(bytes: number): string | number {
  for (const [unit, n] of SIZE_UNITS) if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  return bytes;
}

/** a path written `~/…` (the default `server.backend`) → under the home directory of the user running it */
export function expandHome(path: string, home: string = homedir()): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}
