// The two Accept classes of index pages (PEP 691): JSON and HTML, each its own cached representation.
import type { ModeConfig } from '../../engine/mode.js';

export const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
const LATEST_JSON = 'application/vnd.pypi.simple.latest+json';
const HTML_TYPE = 'application/vnd.pypi.simple.v1+html';
const LATEST_HTML = 'application/vnd.pypi.simple.latest+html';
/** canonical Accept values sent upstream, one per class */
export const JSON_ACCEPT = JSON_TYPE;
export const HTML_ACCEPT = `${HTML_TYPE}, text/html;q=0.1`;

/**
 * json when the client ranks a PEP 691 JSON type highest among the types the proxy serves (ties go to JSON, the
 * richer format); html otherwise, and always with `proxy_json: false`
 */
export function acceptClass(header: string | undefined, config: ModeConfig): string {
  if (!header || config.proxy_json === false) return HTML_ACCEPT;
  let json = -1;
  let html = -1;
  for (const part of header.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    const qp = params.find((p) => p.startsWith('q='));
    const q = qp ? Number(qp.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    if (type === JSON_TYPE || type === LATEST_JSON) json = Math.max(json, q);
    else if (type === HTML_TYPE || type === LATEST_HTML || type === 'text/html' || type === '*/*' || type === 'text/*') html = Math.max(html, q);
  }
  return json > 0 && json >= html ? JSON_ACCEPT : HTML_ACCEPT;
}

export const isJsonType = (contentType: string | undefined): boolean => /json/i.test(contentType ?? '');
