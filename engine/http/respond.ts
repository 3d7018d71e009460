// Response helpers: engine-generated errors, header filtering, content-type guessing, conditionals.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout',
  410: 'Gone', 413: 'Content Too Large', 414: 'URI Too Long', 416: 'Range Not Satisfiable', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};
export const reason = (status: number): string => REASONS[status] ?? 'Error';

export type ErrorFormatter = (status: number, code: string, message: string) => { body: string; type: string } | undefined;

export function sendError(res: ServerResponse, status: number, detail: string, o: { requestId?: string; retryAfter?: number; headers?: Record<string, string>; format?: ErrorFormatter; head?: boolean } = {}): void {
  if (res.headersSent) { res.destroy(); return; }
  const formatted = o.format?.(status, reason(status).toUpperCase().replace(/ /g, '_'), detail);
  const body = formatted?.body ?? `${status} ${reason(status)}: ${detail}${status >= 500 && o.requestId ? ` (request ${o.requestId})` : ''}\n`;
  const headers: Record<string, string | number> = {
    'content-type': formatted?.type ?? 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    'x-cache': 'ERROR',
    'content-length': Buffer.byteLength(body),
    ...o.headers,
  };
  if (o.requestId) headers['x-request-id'] = o.requestId;
  if (o.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(o.retryAfter)));
  else if (status === 429 || status === 503) headers['retry-after'] = '5';
  res.writeHead(status, headers);
  res.end(o.head ? undefined : body);
}

/** headers kept in an entry */
const STORED = ['content-type', 'etag', 'last-modified', 'cache-control', 'expires', 'content-disposition', 'content-encoding', 'content-language', 'vary'];

export function storedHeaders(upstream: Record<string, string>, extra: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...STORED, ...extra.map((h) => h.toLowerCase())]) {
    const v = upstream[name];
    if (v !== undefined && !/[\r\n\0]/.test(v)) out[name] = v;
  }
  return out;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8', htm: 'text/html; charset=utf-8', txt: 'text/plain; charset=utf-8', json: 'application/json',
  js: 'text/javascript', css: 'text/css', xml: 'application/xml', zip: 'application/zip', gz: 'application/gzip', tgz: 'application/gzip',
  tar: 'application/x-tar', xz: 'application/x-xz', zst: 'application/zstd', bz2: 'application/x-bzip2', deb: 'application/vnd.debian.binary-package',
  rpm: 'application/x-rpm', jar: 'application/java-archive', pom: 'application/xml', whl: 'application/zip', png: 'image/png', svg: 'image/svg+xml',
  sha1: 'text/plain; charset=utf-8', md5: 'text/plain; charset=utf-8', sha256: 'text/plain; charset=utf-8', sha512: 'text/plain; charset=utf-8', asc: 'text/plain; charset=utf-8', md: 'text/markdown; charset=utf-8',
};
export function guessType(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const ext = base.includes('.') ? base.slice(base.lastIndexOf('.') + 1).toLowerCase() : '';
  return TYPES[ext] ?? 'application/octet-stream';
}

/** client conditionals: true → answer 304 */
export function notModified(headers: IncomingHttpHeaders, etag: string | undefined, lastModified: string | undefined): boolean {
  const inm = headers['if-none-match'];
  if (inm !== undefined) {
    if (!etag) return false;
    const strip = (t: string) => t.trim().replace(/^W\//, '');
    const want = strip(etag);
    return inm.split(',').some((t) => t.trim() === '*' || strip(t) === want);
  }
  const ims = headers['if-modified-since'];
  if (ims && lastModified) {
    const a = Date.parse(ims), b = Date.parse(lastModified);
    return Number.isFinite(a) && Number.isFinite(b) && b <= a;
  }
  return false;
}

export function send304(res: ServerResponse, headers: Record<string, string>): void {
  const keep: Record<string, string> = {};
  for (const h of ['etag', 'last-modified', 'cache-control', 'vary', 'x-cache', 'x-request-id', 'date']) if (headers[h]) keep[h] = headers[h]!;
  res.writeHead(304, keep);
  res.end();
}
