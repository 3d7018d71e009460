// Where a URL a page names goes: index pages under the upstream's /simple/ map to the proxy's /simple/,
// files on an allowed origin to the proxy's /files/<host[:port]>/<path>, anything else stays as it is.
// And back: a /files/ request (readable or legacy hex form) to the upstream URL it stands for.

export interface UrlMapping {
  /** the index base, no trailing slash */
  upstream: string;
  /** the proxy's base for this instance (public URL and mount), no trailing slash */
  publicBase: string;
  /** whether the proxy may fetch from this URL's origin */
  allowed: (url: URL) => boolean;
}

/** the ledger's and the cache's name of a file URL: `<host[:port]>/<decoded path>` (no query, no fragment) */
export function filesKey(u: URL): string {
  let path = u.pathname;
  try { path = decodeURIComponent(path); } catch { /* keep it encoded */ }
  return `${u.host}${path}`;
}

/** the URL a page names, resolved against the page's base, as the proxy serves it; null = left unchanged */
export function proxiedUrl(raw: string, base: string, m: UrlMapping): string | null {
  let u: URL;
  try { u = new URL(raw.trim(), base); } catch { return null; }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  const simple = `${m.upstream}/simple/`;
  if (u.href.startsWith(simple)) return `${m.publicBase}/simple/${u.href.slice(simple.length)}`;
  if (u.origin !== new URL(m.upstream).origin && !m.allowed(u)) return null;
  return `${m.publicBase}/files/${u.host}${u.pathname}${u.search}${u.hash}`;
}

/** the upstream file a `/files/` request names: origin host, decoded path, query */
export interface FileRef { host: string; path: string; query: string }

/** `files/<host[:port]>/<path>` (segments decoded) → FileRef; null when it names no host and path */
export function fileRefOfPath(host: string, rest: string, query = ''): FileRef | null {
  if (!/^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/.test(host) || !rest) return null;
  return { host: host.toLowerCase(), path: `/${rest}`, query };
}

/** the legacy form: the hex of the whole upstream URL → FileRef; null when it is no http(s) URL */
export function fileRefOfHex(hex: string): FileRef | null {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) return null;
  let u: URL;
  try { u = new URL(Buffer.from(hex, 'hex').toString('utf8')); } catch { return null; }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  let path: string;
  try { path = decodeURIComponent(u.pathname); } catch { return null; }
  return { host: u.host, path, query: u.search };
}

export const keyOfRef = (r: FileRef): string => `${r.host}${r.path}`;

/** the upstream URL of a FileRef on the first scheme whose origin is allowed; null when none is */
export function upstreamUrlOf(r: FileRef, upstream: string, allowed: (url: string) => boolean): string | null {
  const path = r.path.split('/').map(encodeURIComponent).join('/');
  const own = new URL(upstream);
  const schemes = own.host === r.host ? [own.protocol] : ['https:', 'http:'];
  for (const s of schemes) {
    const url = `${s}//${r.host}${path}${r.query}`;
    if (own.host === r.host || allowed(url)) return url;
  }
  return null;
}
