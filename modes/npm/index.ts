// Mode `npm`: a read-only pull-through npm registry for npm, pnpm and yarn.
// Routes below are mount-relative paths with `%2f` already decoded (`@scope%2fpkg` = `@scope/pkg`).
import { defineMode, credentialsFromAuth, type Match, type ModeConfig } from '../../engine/mode.js';
import { readModeSchema } from '../../engine/config/mode-schema.js';
import { settings } from './settings.js';
import { acceptClass, FULL, INSTALL_V1, INSTALL_V1_TYPE } from './accept.js';
import { abbreviatePackument } from './abbreviate.js';
import { NAME, nameLengthOk, upstreamName } from './names.js';
import { indexDocument, indexJsonObject, rewriteDocument } from './documents.js';
import { tarballOf, tarballPins } from './integrity.js';
import { discoverNpm } from './discover.js';
import { AUDIT_PATHS, forwardAudit } from './audit.js';

const READ_ONLY = 'this is a read-only caching proxy: publish, unpublish, dist-tag changes, login and audit are not supported';
const maxDocument = (c: ModeConfig) => settings.parse(c).maxDocumentBytes;
const re = (body: string) => ({ regex: new RegExp(`^${body}$`) });
const LEADING_NAME = /^(?:-\/package\/)?(@[^/]+\/[^/]+|[^/]+)/;
const named = (r: { path: string }) => nameLengthOk(LEADING_NAME.exec(r.path)?.[1] ?? '');
const name = (m: Match) => m.params.name!;
const json = { accept: FULL };

export default defineMode({
  name: 'npm',
  contract: 1,
  schema: readModeSchema(import.meta.url),
  settings: settings.parse,
  mount: 'route',
  kinds: {
    // packuments: two Accept classes, each its own cached representation; with the registry unreachable, a stored
    // full document answers an abbreviated request too (as is, or abbreviated when the client prefers that)
    metadata: {
      policy: 'revalidate', busy: 'stale',
      cache: {
        vary: { accept: acceptClass },
        alternates: { header: 'accept', classes: [INSTALL_V1, FULL], derive: [{ from: FULL, to: INSTALL_V1, type: INSTALL_V1_TYPE, transform: abbreviatePackument }] },
      },
      body: { maxBytes: maxDocument, index: indexDocument, rewrite: rewriteDocument },
    },
    // version documents, dist-tags, signing keys: governed by the metadata_* keys
    document: { policy: 'revalidate', busy: 'stale', keys: { sharedWith: 'metadata' }, body: { maxBytes: maxDocument, index: indexDocument, rewrite: rewriteDocument } },
    tarball: { policy: 'immutable', busy: 'join', body: { pinnedBy: tarballPins } },
    attestation: { policy: 'immutable', busy: 'join', body: { maxBytes: maxDocument, index: indexJsonObject } },
    passthrough: { policy: 'bypass', keys: false },
  },
  routes: [
    { match: re(AUDIT_PATHS), methods: ['POST'], when: (r, c) => r.method === 'POST' && c.audit_passthrough === true, respond: forwardAudit, maxBody: '10MiB' },
    { match: { glob: '**' }, methods: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], when: (r) => r.method !== 'GET' && r.method !== 'HEAD', status: 405, message: READ_ONLY },
    { match: re('-/(?:ping|v1/search)'), kind: 'passthrough', query: 'forward' },
    { match: re('-/(?:whoami|user/.*|npm/v1/tokens.*)'), status: 404, message: READ_ONLY },
    { match: re('-/npm/v1/keys'), kind: 'document', headers: () => json },
    { match: re(`-/package/${NAME}/(?<doc>dist-tags)`), when: named, kind: 'document', key: (m) => `${name(m)}/dist-tags`, upstream: (m) => `-/package/${upstreamName(name(m))}/dist-tags`, headers: () => json },
    { match: re(`-/npm/v1/attestations/${NAME}@(?<version>[^/@]+)`), kind: 'attestation', key: (m) => `${name(m)}@${m.params.version}`, upstream: (m) => `-/npm/v1/attestations/${upstreamName(name(m))}@${encodeURIComponent(m.params.version!)}` },
    {
      match: re(`${NAME}/-/(?<file>[^/]+\\.tgz)`), when: (r) => named(r) && tarballOf({ params: paramsOf(r.path) }) !== null, kind: 'tarball',
      key: (m) => { const t = tarballOf(m)!; return `${t.name}/${t.version}`; },
      // the registry's own layout, unless the version's pin names another fill target (tarballPins.target)
      upstream: (m) => `${name(m)}/-/${encodeURIComponent(m.params.file!)}`,
    },
    { match: re(`${NAME}/(?<version>[^/]+)`), when: named, kind: 'document', upstream: (m) => `${upstreamName(name(m))}/${encodeURIComponent(m.params.version!)}`, headers: () => json },
    { match: re(NAME), when: named, kind: 'metadata', upstream: (m) => upstreamName(name(m)) },
    { match: { glob: '**' }, status: 404, message: 'not found' },
  ],
  upstreams: (c: ModeConfig) => [String(c.upstream).replace(/\/+$/, '')],
  origins: (c: ModeConfig) => (Array.isArray(c.tarball_hosts) ? (c.tarball_hosts as string[]) : []),
  credentials: credentialsFromAuth,
  hooks: {
    snippet: (url) => `npm config set registry ${url}/`,
    errorBody: (status, _code, message) => (status < 500 ? { body: `${JSON.stringify({ error: message })}\n`, type: 'application/json' } : undefined),
  },
  discover: () => discoverNpm(),
});

const TARBALL = new RegExp(`^${NAME}/-/(?<file>[^/]+\\.tgz)$`);
function paramsOf(path: string): Record<string, string> {
  return { ...(TARBALL.exec(path)?.groups ?? {}) };
}
