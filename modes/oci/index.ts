// Mode `oci`: a pull-through cache for OCI / Docker registries. Content by digest
// (blobs, manifests) is verified and shared by every repository and registry of the instance; a tag is a
// binding tag → manifest digest, revalidated with a HEAD. Paths are relative to /v2 on both listener forms.
import { defineMode, type Match, type ModeConfig, type ReqView, type RespondHook } from '../../engine/mode.js';
import { readModeSchema } from '../../engine/config/mode-schema.js';
import { acceptClass } from './accept.js';
import { checkOciConfig, credentialsFor, ociUpstreams, snippet } from './config.js';
import { errorBody, ociError } from './errors.js';
import { rewriteReferrers, rewriteTagsList } from './links.js';
import { admitManifest, checkManifestFile, tagTarget, verifyByHeader, verifyByUrl } from './manifest.js';
import { digestKey, forwardedQuery, parsed, referrersKey, registriesOf, tagKey, tagsListKey, upstreamUrls, type Parsed } from './names.js';
import { tokenAuth } from './token.js';

type Ok = Extract<Parsed, { ok: true }>;
const P = (m: Match) => parsed(m, m.config) as Ok;
const is = (kind: Ok['kind']) => (req: ReqView, c: ModeConfig) => { const p = parsed(req, c); return !!p?.ok && p.kind === kind; };
const isWrite = (req: ReqView) => req.method !== 'GET' && req.method !== 'HEAD';
const hasDefault = (_req: ReqView, c: ModeConfig) => !!c.upstream;

const scope = (m: Match) => `repository:${P(m).repo}:pull`;
const urls = (rest: (p: Ok, m: Match) => string, mirrors = false) => (m: Match) => upstreamUrls(P(m).reg, P(m).repo, rest(P(m), m), mirrors);
const acceptHeader = (m: Match): Record<string, string> => { const a = acceptClass(m.headers.accept); return a ? { accept: a } : {}; };
const defaultUpstream = (m: Match) => `${registriesOf(m.config).fallback!.upstream}/v2/${m.path}${forwardedQuery(m.query)}`;

const json = (status: number, body: string) => ({ status, headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) }, body });
const ping: RespondHook = async () => json(200, '{}');
const refuseName: RespondHook = async (m) => {
  const p = parsed(m, m.config);
  return p && !p.ok ? json(p.status, ociError(p.code, p.message)) : json(404, ociError('NAME_UNKNOWN', 'no such repository'));
};

const MANIFEST = /^(?<repository>.+)\/manifests\/(?<reference>[^/]+)$/;
const BLOB = /^(?<repository>.+)\/blobs\/(?<digest>[^/]+)$/;
const UPLOADS = /^(?<repository>.+)\/blobs\/uploads(?:\/.*)?$/;
const REFERRERS = /^(?<repository>.+)\/referrers\/(?<digest>[^/]+)$/;
const TAGS = /^(?<repository>.+)\/tags\/list$/;
const REPO_API = /^(?<repository>.+)\/(?:manifests|blobs|referrers|tags)\/.+$/;
const PUSH = 'push is not supported: this registry is a pull-through cache';
const DIGEST_HEADER = ['docker-content-digest'];

export default defineMode({
  name: 'oci',
  contract: 1,
  schema: readModeSchema(import.meta.url),
  mount: 'either',
  basePath: '/v2',
  kinds: {
    tag: {
      policy: 'revalidate', busy: 'bypass',
      cache: { vary: { accept: acceptClass } },
      upstream: { revalidateWith: 'head' },
      body: { admitHead: admitManifest, verify: verifyByHeader, check: checkManifestFile, storeHeaders: DIGEST_HEADER },
      bind: { to: tagTarget },
    },
    manifest: {
      policy: 'immutable', busy: 'join', allow: { policy: ['immutable', 'bypass'] },
      upstream: { failoverOnStatus: [404], redirects: 'public' },
      body: { admitHead: admitManifest, verify: verifyByUrl, check: checkManifestFile, storeHeaders: DIGEST_HEADER },
    },
    // registries send blobs from CDNs: any public https host may serve them, the digest proves the bytes
    blob: {
      policy: 'immutable', busy: 'join', allow: { policy: ['immutable', 'bypass'] },
      upstream: { failoverOnStatus: [404], redirects: 'public' },
      body: { verify: verifyByUrl, storeHeaders: DIGEST_HEADER },
    },
    referrers: { policy: 'revalidate', fresh_for: '5m', busy: 'stale', expire_after: '168h', body: { storeHeaders: ['oci-filters-applied', 'link'], rewrite: rewriteReferrers } },
    tags_list: { policy: 'revalidate', fresh_for: '1m', busy: 'stale', expire_after: '24h', body: { storeHeaders: ['link'], rewrite: rewriteTagsList } },
    passthrough: { policy: 'bypass', keys: false },
  },
  aliases: { default_policy: 'tag_policy', fresh_for: 'tag_fresh_for', busy_policy: 'tag_busy_policy' },
  rules: { subject: 'repository', combine: 'first', kinds: ['tag'] },
  routes: [
    { match: { glob: '**' }, when: isWrite, methods: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], status: 405, message: PUSH },
    { match: { regex: /^$/ }, respond: ping },
    { match: { regex: UPLOADS }, status: 405, message: PUSH },
    { match: { regex: MANIFEST }, when: is('manifest'), kind: 'manifest', key: (m) => digestKey('manifests', P(m).digest!), upstream: urls((p) => `manifests/${p.ref}`, true), headers: acceptHeader, authScope: scope },
    { match: { regex: MANIFEST }, when: is('tag'), kind: 'tag', key: (m) => tagKey(P(m).reg, P(m).repo, P(m).ref!), upstream: urls((p) => `manifests/${p.ref}`), authScope: scope },
    { match: { regex: BLOB }, when: is('blob'), kind: 'blob', key: (m) => digestKey('blobs', P(m).digest!), upstream: urls((p) => `blobs/${p.ref}`, true), authScope: scope },
    { match: { regex: REFERRERS }, when: is('referrers'), kind: 'referrers', key: (m) => referrersKey(P(m).reg, P(m).repo, P(m).digest!, m.query.get('artifactType') ?? ''), upstream: urls((p, m) => `referrers/${p.ref}${forwardedQuery(m.query)}`), authScope: scope },
    { match: { regex: TAGS }, when: is('tags_list'), kind: 'tags_list', key: (m) => tagsListKey(P(m).reg, P(m).repo, forwardedQuery(m.query)), upstream: urls((_p, m) => `tags/list${forwardedQuery(m.query)}`), authScope: scope },
    { match: { regex: REPO_API }, when: is('passthrough'), kind: 'passthrough', upstream: urls((p, m) => `${p.api}/${p.ref}${forwardedQuery(m.query)}`), headers: acceptHeader, authScope: scope },
    { match: { regex: REPO_API }, respond: refuseName },
    { match: { regex: /^_catalog$/ }, when: hasDefault, kind: 'passthrough', upstream: defaultUpstream, authScope: () => 'registry:catalog:*' },
    { match: { glob: '**' }, when: hasDefault, kind: 'passthrough', upstream: defaultUpstream },
  ],
  upstreams: ociUpstreams,
  credentialsFor,
  checkConfig: checkOciConfig,
  hooks: {
    upstreamAuth: tokenAuth,
    errorBody,
    responseHeaders: (req, c) => {
      const p = parsed(req, c);
      return { 'Docker-Distribution-API-Version': 'registry/2.0', ...(p?.ok && p.ns ? { 'OCI-Namespace': p.ns } : {}) };
    },
    snippet,
  },
});
