// The legacy per-project JSON API (`/pypi/<name>/json`, `/pypi/<name>/<version>/json`): validated and read
// into the ledger (its `digests` pin the files too), `urls[].url` and `releases.*[].url` mapped on the way out.
import type { IndexInput, IndexResult, RewriteInput } from '../../engine/mode.js';
import { ledgerPins, type PageFile } from './ledger.js';
import { normalizeName } from './names.js';
import { mappingOf, rewriteSkipped } from './pages.js';
import { settings } from './settings.js';
import { proxiedUrl, type UrlMapping } from './urls.js';

interface LegacyFile { url?: unknown; digests?: unknown; size?: unknown }
interface LegacyDoc { info?: unknown; urls?: LegacyFile[]; releases?: Record<string, LegacyFile[]> }

function parse(body: Buffer): LegacyDoc {
  let doc: LegacyDoc;
  try { doc = JSON.parse(body.toString('utf8')) as LegacyDoc; } catch { throw new Error('upstream sent a project JSON document that is not valid JSON; nothing was cached'); }
  if (!doc || typeof doc !== 'object' || typeof doc.info !== 'object' || doc.info === null) throw new Error('upstream project JSON document has no "info" object; nothing was cached');
  return doc;
}

const filesOf = (doc: LegacyDoc): LegacyFile[] => [...(Array.isArray(doc.urls) ? doc.urls : []), ...Object.values(doc.releases ?? {}).flatMap((r) => (Array.isArray(r) ? r : []))];

/** the files a legacy document lists */
export function legacyFiles(body: Buffer, base: string): PageFile[] {
  const out: PageFile[] = [];
  for (const f of filesOf(parse(body))) {
    if (typeof f?.url !== 'string') continue;
    let url: URL;
    try { url = new URL(f.url, base); } catch { continue; }
    const hashes = f.digests && typeof f.digests === 'object' ? Object.fromEntries(Object.entries(f.digests).filter(([, v]) => typeof v === 'string')) as Record<string, string> : {};
    out.push({ url, hashes, size: typeof f.size === 'number' ? f.size : undefined });
  }
  return out;
}

export async function indexLegacy({ body, match, ctx }: IndexInput): Promise<IndexResult> {
  const parts: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) parts.push(c);
  const s = settings.of(ctx);
  const files = legacyFiles(Buffer.concat(parts), `${s.upstream}/${match.path}`);
  return { pins: [{ group: normalizeName(match.params.project!), entries: ledgerPins(files) }] };
}

export function rewriteLegacyDoc(body: Buffer, base: string, map: UrlMapping, skipped: (url: string) => void): Buffer {
  const doc = parse(body);
  for (const f of filesOf(doc)) {
    if (!f || typeof f.url !== 'string') continue;
    const to = proxiedUrl(f.url, base, map);
    if (to === null) skipped(f.url); else f.url = to;
  }
  return Buffer.from(JSON.stringify(doc));
}

export async function rewriteLegacy({ body, publicBase, match, ctx }: RewriteInput): Promise<{ body: Buffer }> {
  const s = settings.of(ctx);
  return { body: rewriteLegacyDoc(body, `${s.upstream}/${match.path}`, mappingOf(ctx, publicBase), (u) => rewriteSkipped(ctx, u)) };
}
