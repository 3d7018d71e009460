// Package documents: validated and indexed before commit (pins per version:
// tarball URL, integrity, shasum), and rewritten on the way out so tarball URLs point at the proxy.
// Both use the streaming token scanner: every byte but the rewritten string values is copied as is.
import type { IndexInput, IndexResult, Match, Pin, RewriteInput, HookContext } from '../../engine/mode.js';
import { JsonScanner, scanBuffer, type ScanHit } from './json-scan.js';
import { canonicalTarball, isSemver } from './names.js';
import { settings } from './settings.js';

/** which document a match names */
type DocType = 'packument' | 'version' | 'other';
const docType = (m: Match): DocType => (m.params.name === undefined || m.params.doc === 'dist-tags' ? 'other' : m.params.version !== undefined ? 'version' : 'packument');

const DIST_FIELDS = new Set(['tarball', 'integrity', 'shasum']);

/** the string values a document's facts live in, by path */
function wanted(type: DocType) {
  return (p: readonly string[]): boolean => {
    if (p.length === 1) return p[0] === 'name' || p[0] === 'version';
    if (type === 'packument') return p[0] === 'versions' && p[2] === 'dist' && ((p.length === 4 && DIST_FIELDS.has(p[3]!)) || (p.length === 5 && p[3] === 'attestations' && p[4] === 'url'));
    if (type === 'version') return p[0] === 'dist' && ((p.length === 2 && DIST_FIELDS.has(p[1]!)) || (p.length === 3 && p[1] === 'attestations' && p[2] === 'url'));
    return false;
  };
}

interface Facts { name?: string; version?: string; hits: ScanHit[] }

const newScanner = (type: DocType, facts: Facts) => new JsonScanner(wanted(type), (h) => {
  if (h.path.length === 1) { if (h.path[0] === 'name') facts.name ??= h.value; else facts.version ??= h.value; } else facts.hits.push(h);
}, { rootObject: true, maxDepth: 5 });

/** (version, dist field) of a hit */
function distOf(type: DocType, h: ScanHit, facts: Facts): { version?: string; field: string } {
  return type === 'packument' ? { version: h.path[1], field: h.path.slice(3).join('.') } : { version: facts.version, field: h.path.slice(1).join('.') };
}

/** validate a document before it is stored, and pin each version's tarball URL and digests */
export async function indexDocument({ body, match, ctx }: IndexInput): Promise<IndexResult> {
  const type = docType(match);
  const facts: Facts = { hits: [] };
  const scanner = newScanner(type, facts);
  for await (const chunk of body as AsyncIterable<Buffer>) scanner.write(chunk);
  scanner.end();
  if (type === 'other') return {};
  const name = match.params.name!;
  if (facts.name !== name) throw new Error(`upstream document names "${facts.name ?? ''}", not the requested package ${name}; nothing was cached`);
  const asked = match.params.version;
  if (type === 'version' && asked && isSemver(asked) && facts.version !== asked.replace(/^v/, '')) throw new Error(`upstream document is version "${facts.version ?? ''}", not the requested ${name}@${asked}; nothing was cached`);
  const entries: Record<string, Record<string, string>> = {};
  for (const h of facts.hits) {
    const { version, field } = distOf(type, h, facts);
    if (!version || !DIST_FIELDS.has(field)) continue;
    (entries[version] ??= {})[field] = h.value;
  }
  const targets: string[] = [];
  if (settings.of(ctx).tarballHosts === 'auto') {
    const own = settings.of(ctx).upstreamOrigin;
    const seen = new Set<string>();
    for (const e of Object.values(entries)) {
      try {
        const o = new URL(e.tarball!).origin;
        if (o !== own && !seen.has(o)) { seen.add(o); targets.push(e.tarball!); }
      } catch { /* not a URL: never rewritten */ }
    }
  }
  return { pins: [{ group: name, entries: entries as Record<string, Pin> }], targets };
}

/** attestation bundles and other JSON-only documents: must be a JSON object */
export async function indexJsonObject({ body }: IndexInput): Promise<IndexResult> {
  const scanner = new JsonScanner(() => false, () => undefined, { rootObject: true });
  for await (const chunk of body as AsyncIterable<Buffer>) scanner.write(chunk);
  scanner.end();
  return {};
}

const loggedOrigins = new Set<string>();
function skipped(ctx: HookContext, url: string): void {
  ctx.count('cache_proxy_rewrite_skipped_total', 'Tarball URLs left pointing at an origin the proxy may not fetch');
  let origin = url;
  try { origin = new URL(url).origin; } catch { /* keep the raw value */ }
  const k = `${ctx.instance}\n${origin}`;
  if (loggedOrigins.has(k) || loggedOrigins.size > 10_000) return;
  loggedOrigins.add(k);
  ctx.log.info('tarball URL on an origin that is not allowed left unchanged (client goes direct)', { instance: ctx.instance, upstream: origin.slice(0, 200) });
}

/** tarball and attestation URLs → the proxy's public base; everything else byte for byte */
export async function rewriteDocument({ body, publicBase, match, ctx }: RewriteInput): Promise<{ body: Buffer }> {
  const type = docType(match);
  if (type === 'other') return { body };
  const facts: Facts = { hits: [] };
  await scanBuffer(body, newScanner(type, facts));
  const name = match.params.name!;
  const own = settings.of(ctx).upstreamOrigin;
  const parts: Buffer[] = [];
  let at = 0;
  for (const h of facts.hits) {
    const { version, field } = distOf(type, h, facts);
    if (!version) continue;
    let replacement: string | undefined;
    if (field === 'tarball') {
      if (ctx.targetAllowed(h.value)) replacement = canonicalTarball(publicBase, name, version);
      else skipped(ctx, h.value);
    } else if (field === 'attestations.url') {
      let origin = '';
      try { origin = new URL(h.value).origin; } catch { /* not a URL */ }
      if (origin === own) replacement = `${publicBase}/-/npm/v1/attestations/${name}@${encodeURIComponent(version)}`;
    }
    if (replacement === undefined) continue;
    parts.push(body.subarray(at, h.start), Buffer.from(JSON.stringify(replacement)));
    at = h.end;
  }
  if (at === 0) return { body };
  parts.push(body.subarray(at));
  return { body: Buffer.concat(parts) };
}
