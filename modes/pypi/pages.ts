// Simple pages (PEP 503 HTML, PEP 691 JSON): validated and read into the file ledger before they are stored,
// rewritten on the way out so every link a client follows comes back through the proxy.
import type { HookContext, IndexInput, IndexResult, Match, RewriteInput } from '../../engine/mode.js';
import { isJsonType } from './accept.js';
import { applyEdits, attrOf, attrText, baseOf, scanTags, type Edit } from './html.js';
import { ledgerPins, type PageFile } from './ledger.js';
import { settings, type PypiSettings } from './settings.js';
import { proxiedUrl, type UrlMapping } from './urls.js';

const TAGS = new Set(['a', 'base']);
const METADATA_ATTRS = ['data-core-metadata', 'data-dist-info-metadata'];
const SIGNATURE_ATTRS = ['data-gpg-sig', 'data-provenance'];
const METADATA_KEYS = ['core-metadata', 'dist-info-metadata'];
const SIGNATURE_KEYS = ['gpg-sig', 'provenance'];

/** the upstream URL of the page a match names (links resolve against it) */
export const pageUrlOf = (s: PypiSettings, m: Match): string => `${s.upstream}/simple/${m.params.project ? `${m.params.project}/` : ''}`;

const looksJson = (headers: Readonly<Record<string, string>>, body: Buffer) => headers['content-type'] ? isJsonType(headers['content-type']) : body.subarray(0, 64).toString('latin1').trimStart().startsWith('{');

async function readAll(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts);
}

interface JsonFile { url?: unknown; hashes?: unknown; size?: unknown; 'core-metadata'?: unknown; 'dist-info-metadata'?: unknown; provenance?: unknown }
const hashesOf = (v: unknown): Record<string, string> => (v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<string, string> : {});
const urlOf = (raw: unknown, base: string): URL | undefined => { if (typeof raw !== 'string') return undefined; try { return new URL(raw.trim(), base); } catch { return undefined; } };

/** the files of a PEP 691 page; throws unless it is one (meta.api-version 1.x) */
export function jsonPageFiles(body: Buffer, pageUrl: string): PageFile[] {
  let doc: { meta?: { 'api-version'?: unknown }; files?: unknown };
  try { doc = JSON.parse(body.toString('utf8')) as typeof doc; } catch { throw new Error('upstream sent an index page that is not valid JSON; nothing was cached'); }
  const v = doc?.meta?.['api-version'];
  if (typeof v !== 'string' || !/^1(?:\.\d+)*$/.test(v)) throw new Error('upstream JSON index page has no meta.api-version 1.x; nothing was cached');
  const out: PageFile[] = [];
  for (const f of Array.isArray(doc.files) ? (doc.files as JsonFile[]) : []) {
    const url = urlOf(f?.url, pageUrl);
    if (!url) continue;
    const cm = f['core-metadata'] ?? f['dist-info-metadata'];
    out.push({ url, hashes: hashesOf(f.hashes), size: typeof f.size === 'number' ? f.size : undefined, coreMetadata: hashesOf(cm), provenance: urlOf(f.provenance, pageUrl) });
  }
  return out;
}

/** `<algo>=<hex>` (a fragment or a metadata attribute) → {algo: hex} */
const hashPair = (v: string | undefined): Record<string, string> => { const m = /^([a-z0-9_]+)=([0-9a-fA-F]+)$/.exec(v ?? ''); return m ? { [m[1]!]: m[2]! } : {}; };

/** the files of a PEP 503 page; throws unless it looks like HTML */
export function htmlPageFiles(body: Buffer, pageUrl: string): PageFile[] {
  const text = body.toString('latin1');
  if (!/<html|<a[\s>]/i.test(text)) throw new Error('upstream sent an index page that is not HTML (no <html> or <a> element); nothing was cached');
  const tags = scanTags(text, TAGS);
  const base = baseOf(tags, pageUrl);
  const out: PageFile[] = [];
  for (const t of tags) {
    const href = t.name === 'a' ? attrOf(t, 'href')?.value : undefined;
    const url = href !== undefined ? urlOf(href, base) : undefined;
    if (!url) continue;
    const meta = attrOf(t, 'data-core-metadata') ?? attrOf(t, 'data-dist-info-metadata');
    out.push({ url, hashes: hashPair(url.hash.slice(1)), coreMetadata: hashPair(meta?.value), provenance: urlOf(attrOf(t, 'data-provenance')?.value, base) });
  }
  return out;
}

/** the file origins other than the upstream's a page links to (learned as fetch targets with `file_hosts: auto`) */
function fileTargets(s: PypiSettings, files: readonly PageFile[]): string[] {
  if (s.fileHosts !== 'auto') return [];
  const seen = new Map<string, string>();
  for (const f of files) for (const u of [f.url, f.provenance]) if (u && u.origin !== s.upstreamUrl.origin && !seen.has(u.origin)) seen.set(u.origin, u.href);
  return [...seen.values()];
}

/** index stage of a simple page: validated; a project page's files recorded in the ledger */
export async function indexPage({ body, headers, match, ctx }: IndexInput): Promise<IndexResult> {
  const s = settings.of(ctx);
  const raw = await readAll(body as AsyncIterable<Buffer>);
  const pageUrl = pageUrlOf(s, match);
  const files = looksJson(headers, raw) ? jsonPageFiles(raw, pageUrl) : htmlPageFiles(raw, pageUrl);
  const project = match.params.project;
  if (!project) return {};
  return { pins: [{ group: project, entries: ledgerPins(files) }], targets: fileTargets(s, files) };
}

const skippedLog = new WeakMap<object, Set<string>>();
/** a URL on an origin the proxy may not fetch: left as it is (the client goes direct); counted, logged once per origin */
export function rewriteSkipped(ctx: HookContext, url: string): void {
  ctx.count('cache_proxy_rewrite_skipped_total', 'Links left pointing at an origin the proxy may not fetch');
  let origin = url;
  try { origin = new URL(url).origin; } catch { /* keep the raw value */ }
  let seen = skippedLog.get(ctx.config);
  if (!seen) skippedLog.set(ctx.config, (seen = new Set()));
  if (seen.has(origin) || seen.size > 10_000) return;
  seen.add(origin);
  ctx.log.info('link on an origin that is not allowed left unchanged (client goes direct)', { instance: ctx.instance, upstream: origin.slice(0, 200) });
}

export function mappingOf(ctx: HookContext, publicBase: string): UrlMapping {
  return { upstream: settings.of(ctx).upstream, publicBase, allowed: (u) => ctx.targetAllowed(u.href) };
}

/** a PEP 691 page with file and provenance URLs mapped; keys the settings turn off removed */
export function rewriteJsonPage(body: Buffer, pageUrl: string, map: UrlMapping, s: PypiSettings, skipped: (url: string) => void): Buffer {
  const doc = JSON.parse(body.toString('utf8')) as { files?: Record<string, unknown>[] };
  if (!Array.isArray(doc.files)) return body;
  const mapped = (raw: unknown): unknown => {
    if (typeof raw !== 'string') return raw;
    const to = proxiedUrl(raw, pageUrl, map);
    if (to === null) skipped(raw);
    return to ?? raw;
  };
  for (const f of doc.files) {
    if (!f || typeof f !== 'object') continue;
    f.url = mapped(f.url);
    if (f.provenance !== undefined && f.provenance !== null) f.provenance = mapped(f.provenance);
    if (!s.proxyCoreMetadata) for (const k of METADATA_KEYS) delete f[k];
    if (!s.proxySignatures) for (const k of SIGNATURE_KEYS) delete f[k];
  }
  return Buffer.from(JSON.stringify(doc));
}

/** a PEP 503 page with `<a href>` and `data-provenance` mapped (fragments kept); every other byte as it was */
export function rewriteHtmlPage(body: Buffer, pageUrl: string, map: UrlMapping, s: PypiSettings, skipped: (url: string) => void): Buffer {
  const text = body.toString('latin1');
  const tags = scanTags(text, TAGS);
  const base = baseOf(tags, pageUrl);
  const edits: Edit[] = [];
  const removed = new Set([...(s.proxyCoreMetadata ? [] : METADATA_ATTRS), ...(s.proxySignatures ? [] : SIGNATURE_ATTRS)]);
  for (const t of tags) {
    if (t.name !== 'a') continue;
    for (const a of t.attrs) {
      if (removed.has(a.name)) { edits.push({ start: a.start, end: a.end, text: '' }); continue; }
      if ((a.name !== 'href' && a.name !== 'data-provenance') || a.quote === null) continue;
      const to = proxiedUrl(a.value, base, map);
      if (to === null) { skipped(a.value); continue; }
      const quoted = a.quote !== '';
      edits.push({ start: quoted ? a.valueStart - 1 : a.valueStart, end: quoted ? a.valueEnd + 1 : a.valueEnd, text: attrText(to, a.quote) });
    }
  }
  return applyEdits(text, edits);
}

/** rewrite stage of a simple page, by the stored body's own type */
export async function rewritePage({ body, headers, publicBase, match, ctx }: RewriteInput): Promise<{ body: Buffer }> {
  const s = settings.of(ctx);
  const pageUrl = pageUrlOf(s, match);
  const map = mappingOf(ctx, publicBase);
  const skipped = (url: string) => rewriteSkipped(ctx, url);
  return { body: looksJson(headers, body) ? rewriteJsonPage(body, pageUrl, map, s, skipped) : rewriteHtmlPage(body, pageUrl, map, s, skipped) };
}
