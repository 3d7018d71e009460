// Link headers of paginated listings (tags list, referrers) point at upstream paths: rewrite them to the
// path form the client used (registry name re-added, ns kept), and force the referrers content type.
import type { RewriteHook } from '../../engine/mode.js';
import { parsed } from './names.js';

export function clientLink(link: string, upstreamRepo: string, clientRepo: string, ns?: string): string {
  return link.replace(/<([^>]*)>/g, (_all, target: string) => {
    const u = new URL(target, 'http://upstream.invalid');
    const prefix = `/v2/${upstreamRepo}/`;
    if (!u.pathname.startsWith(prefix)) return `<${target}>`;
    u.pathname = `/v2/${clientRepo}/${u.pathname.slice(prefix.length)}`;
    if (ns) u.searchParams.set('ns', ns);
    return `<${u.pathname}${u.search}>`;
  });
}

const listing = (contentType?: string): RewriteHook => async ({ body, headers, match }) => {
  const p = parsed(match, match.config);
  const out: Record<string, string> = {};
  if (contentType) out['content-type'] = contentType;
  if (headers.link && p?.ok) out.link = clientLink(headers.link, p.repo, p.clientRepo, p.ns);
  return { body, headers: out };
};

export const rewriteTagsList = listing();
export const rewriteReferrers = listing('application/vnd.oci.image.index.v1+json');
