// OCI names (distribution-spec grammar) and the request → registry entry → upstream repo resolution
// (the `ns` query parameter or the first path component names a registry of registries[], else the default
// upstream answers). Every route of the mode reads one memoised `parseRequest` result.
import { createHash } from 'node:crypto';
import type { ModeConfig, ReqView } from '../../engine/mode.js';

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPO = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([A-Za-z0-9=_-]+)$/;
const HEX: Record<string, RegExp> = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ };

export const isRepository = (s: string) => s.length <= 255 && REPO.test(s);
export const isTag = (s: string) => TAG.test(s);

export interface Digest { alg: string; hex: string; text: string; verifiable: boolean }
/** a digest string, or null if it breaks the grammar (or is a sha256/sha512 of the wrong form) */
export function parseDigest(s: string | undefined): Digest | null {
  const m = s ? DIGEST.exec(s) : null;
  if (!m) return null;
  const [, alg, hex] = m as unknown as [string, string, string];
  const strict = HEX[alg];
  if (strict && !strict.test(hex)) return null;
  return { alg, hex, text: `${alg}:${hex}`, verifiable: !!strict };
}

export interface Registry { name: string; upstream: string; mirrors: string[]; auth?: Record<string, unknown>; prefix?: string }
interface Registries { fallback?: Registry; byName: Map<string, Registry>; fallbackHost?: string }

const trim = (u: string) => u.replace(/\/+$/, '');
const registriesMemo = new WeakMap<ModeConfig, Registries>();
export function registriesOf(c: ModeConfig): Registries {
  let r = registriesMemo.get(c);
  if (r) return r;
  const list = (c.registries as Record<string, unknown>[] | undefined) ?? [];
  const byName = new Map(list.map((e) => [String(e.name), {
    name: String(e.name), upstream: trim(String(e.upstream)), mirrors: ((e.mirrors as string[] | undefined) ?? []).map(trim),
    auth: e.auth as Record<string, unknown> | undefined, prefix: (e.short_name_prefix as string | undefined) || undefined,
  }]));
  const fallback = c.upstream ? {
    name: '_', upstream: trim(String(c.upstream)), mirrors: ((c.mirrors as string[] | undefined) ?? []).map(trim),
    auth: c.auth as Record<string, unknown> | undefined, prefix: (c.short_name_prefix as string | undefined) || undefined,
  } : undefined;
  r = { fallback, byName, fallbackHost: fallback ? new URL(fallback.upstream).host : undefined };
  registriesMemo.set(c, r);
  return r;
}

export type Api = 'manifests' | 'blobs' | 'uploads' | 'tags' | 'referrers';
export type Parsed =
  | { ok: true; api: Api; kind: 'tag' | 'manifest' | 'blob' | 'passthrough' | 'referrers' | 'tags_list' | 'uploads'; reg: Registry; clientRepo: string; repo: string; ref?: string; digest?: Digest; ns?: string }
  | { ok: false; status: 400 | 404; code: string; message: string };

const API = /^(?<repo>.+)\/(?:(?<uploads>blobs\/uploads)(?:\/.*)?|(?<api>manifests|blobs|referrers)\/(?<ref>[^/]+)|(?<tags>tags)\/list)$/;

/** the client repo, reference and registry of a request (null: not a repository API path) */
export function parseRequest(req: Pick<ReqView, 'path' | 'query'>, c: ModeConfig): Parsed | null {
  const m = API.exec(req.path);
  if (!m?.groups) return null;
  const g = m.groups;
  const api: Api = g.uploads ? 'uploads' : g.tags ? 'tags' : (g.api as Api);
  const clientRepo = g.repo!;
  const regs = registriesOf(c);
  let reg: Registry | undefined;
  let repo = clientRepo;
  const nsParam = c.honor_ns_param !== false ? req.query.get('ns') ?? undefined : undefined;
  const ns = nsParam && (regs.byName.has(nsParam) || nsParam === regs.fallbackHost) ? nsParam : undefined;
  if (ns) reg = regs.byName.get(ns) ?? regs.fallback;
  else {
    const slash = clientRepo.indexOf('/');
    const first = slash > 0 ? clientRepo.slice(0, slash) : undefined;
    if (first && regs.byName.has(first)) { reg = regs.byName.get(first); repo = clientRepo.slice(slash + 1); }
    else reg = regs.fallback;
  }
  if (!reg) return { ok: false, status: 404, code: 'NAME_UNKNOWN', message: `no registry is configured for "${clientRepo}" (name the registry as the first path component)` };
  if (reg.prefix && !repo.includes('/')) repo = `${reg.prefix}/${repo}`;
  if (!isRepository(repo)) return { ok: false, status: 400, code: 'NAME_INVALID', message: `invalid repository name "${repo.slice(0, 300)}"` };
  const base = { ok: true as const, api, reg, clientRepo, repo, ns };
  if (api === 'uploads') return { ...base, kind: 'uploads' };
  if (api === 'tags') return { ...base, kind: 'tags_list' };
  const ref = g.ref!;
  if (api === 'manifests') {
    if (ref.includes(':')) {
      const digest = parseDigest(ref);
      return digest ? { ...base, kind: digest.verifiable ? 'manifest' : 'passthrough', ref, digest } : { ok: false, status: 400, code: 'DIGEST_INVALID', message: `invalid digest "${ref.slice(0, 200)}"` };
    }
    return isTag(ref) ? { ...base, kind: 'tag', ref } : { ok: false, status: 400, code: 'MANIFEST_INVALID', message: `invalid tag "${ref.slice(0, 200)}"` };
  }
  const digest = parseDigest(ref);
  if (!digest) return { ok: false, status: 400, code: 'DIGEST_INVALID', message: `invalid digest "${ref.slice(0, 200)}"` };
  if (api === 'referrers') return { ...base, kind: 'referrers', ref, digest };
  return { ...base, kind: digest.verifiable ? 'blob' : 'passthrough', ref, digest };
}

const parsedMemo = new WeakMap<ModeConfig, Map<string, Parsed | null>>();
/** parseRequest, memoised per config (routes ask several times per request) */
export function parsed(req: Pick<ReqView, 'path' | 'query'>, c: ModeConfig): Parsed | null {
  let memo = parsedMemo.get(c);
  if (!memo) { memo = new Map(); parsedMemo.set(c, memo); }
  const k = `${req.path}\n${req.query.get('ns') ?? ''}`;
  if (memo.has(k)) return memo.get(k)!;
  const p = parseRequest(req, c);
  memo.set(k, p);
  if (memo.size > 4096) memo.delete(memo.keys().next().value!);
  return p;
}

export const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');

// ---- cache keys: content by digest is shared by every repository and registry
export const digestKey = (what: 'manifests' | 'blobs', d: Digest) => `oci/${what}/${d.alg}/${d.hex.slice(0, 2)}/${d.hex}`;
export const tagKey = (reg: Registry, repo: string, tag: string) => `oci/tags/${reg.name}/${repo}/${tag}`;
export const referrersKey = (reg: Registry, repo: string, d: Digest, artifactType: string) => `oci/referrers/${reg.name}/${repo}/${d.alg}-${d.hex}/${sha256hex(artifactType)}`;
export const tagsListKey = (reg: Registry, repo: string, query: string) => `oci/tagslist/${reg.name}/${repo}/${sha256hex(query)}`;

/** upstream URLs of a repository API path; digest-addressed content tries the mirrors first */
export function upstreamUrls(reg: Registry, repo: string, rest: string, withMirrors: boolean): string[] {
  const path = `/v2/${repo.split('/').map(encodeURIComponent).join('/')}/${rest}`;
  return [...(withMirrors ? reg.mirrors : []), reg.upstream].map((u) => u + path);
}

/** the request's query without `ns` (never sent upstream), in a stable order */
export function forwardedQuery(q: URLSearchParams): string {
  const out = new URLSearchParams([...q].filter(([k]) => k !== 'ns').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const s = out.toString();
  return s ? `?${s}` : '';
}
