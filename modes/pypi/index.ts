// Mode `pypi`: a pull-through Python package index (PEP 503 HTML and PEP 691 JSON simple pages, the legacy
// per-project JSON API) and the distribution files, which usually live on another origin than the index.
// Routes below are mount-relative paths with segments decoded.
import { defineMode, credentialsFromAuth, type Match, type ModeConfig, type ReqView } from '../../engine/mode.js';
import { readModeSchema } from '../../engine/config/mode-schema.js';
import { settings } from './settings.js';
import { acceptClass, JSON_ACCEPT } from './accept.js';
import { normalizeName } from './names.js';
import { indexPage, rewritePage } from './pages.js';
import { indexLegacy, rewriteLegacy } from './legacy.js';
import { filePins } from './ledger.js';
import { companionUpstream, fileKey, fileUpstream, filesOf } from './files.js';
import { discoverPypi } from './discover.js';

const maxPage = (c: ModeConfig) => settings.parse(c).maxPageBytes;
const re = (body: string) => ({ regex: new RegExp(`^${body}$`) });
const PROJECT = '(?<project>[^/]+)';
const canonical = (r: ReqView) => { const n = /^simple\/([^/]+)/.exec(r.path)?.[1]; return n !== undefined && n === normalizeName(n); };
const project = (m: Match) => m.params.project!;
const pages = { maxBytes: maxPage, index: indexPage, rewrite: rewritePage };

export default defineMode({
  name: 'pypi',
  contract: 1,
  schema: readModeSchema(import.meta.url),
  settings: settings.parse,
  mount: 'route',
  kinds: {
    // simple pages: two Accept classes (JSON, HTML), each its own cached representation; validated and read into
    // the file ledger before they are stored
    index: { policy: 'revalidate', fresh_for: '1m', busy: 'stale', expire_after: '720h', cache: { vary: { accept: acceptClass } }, body: pages },
    // the legacy JSON API: governed by the index_* keys
    legacy: { policy: 'revalidate', busy: 'stale', keys: { sharedWith: 'index' }, body: { maxBytes: maxPage, index: indexLegacy, rewrite: rewriteLegacy } },
    // distributions and hashed .metadata files: verified against the ledger before commit
    file: { policy: 'immutable', busy: 'join', expire_after: '720h', body: { pinnedBy: filePins } },
    // .asc signatures and provenance objects: not verified (left to clients)
    companion: { policy: 'revalidate', fresh_for: '30s', busy: 'bypass' },
  },
  routes: [
    { match: re('(?:simple)?'), kind: 'index', key: 'simple/_root', upstream: 'simple/' },
    { match: re(`simple/${PROJECT}/json`), when: (r, c) => c.proxy_json !== false && canonical(r), kind: 'index', key: (m) => `simple/${project(m)}`, upstream: (m) => `simple/${encodeURIComponent(project(m))}/`, headers: () => ({ accept: JSON_ACCEPT }) },
    { match: re(`simple/${PROJECT}`), when: (r) => canonical(r) && r.trailingSlash === true, kind: 'index', key: (m) => `simple/${project(m)}`, upstream: (m) => `simple/${encodeURIComponent(project(m))}/` },
    { match: re(`simple/${PROJECT}`), respond: async (m) => redirectToCanonical(m) },
    { match: re(`pypi/${PROJECT}(?:/(?<version>[^/]+))?/json`), kind: 'legacy' },
    { match: re('files/(?<host>[^/]+)/(?<rest>.+)'), when: filesOf('file', 'metadata'), kind: 'file', key: fileKey, upstream: fileUpstream, query: 'forward' },
    { match: re('files/(?<host>[^/]+)/(?<rest>.+)'), when: filesOf('signature', 'other'), kind: 'companion', key: fileKey, upstream: companionUpstream, query: 'forward' },
    { match: re('files/(?<hex>[0-9a-fA-F]+)'), when: filesOf('file', 'metadata'), kind: 'file', key: fileKey, upstream: fileUpstream },
    { match: re('files/(?<hex>[0-9a-fA-F]+)'), when: filesOf('signature', 'other'), kind: 'companion', key: fileKey, upstream: companionUpstream },
    { match: { glob: '**' }, status: 404, message: 'not found' },
  ],
  upstreams: (c: ModeConfig) => [String(c.upstream).replace(/\/+$/, '')],
  origins: (c: ModeConfig) => (Array.isArray(c.file_hosts) ? (c.file_hosts as string[]) : []),
  credentials: credentialsFromAuth,
  hooks: {
    snippet: (url) => `pip config set global.index-url ${url}/simple/`,
  },
  discover: () => discoverPypi(),
});

/** a non-normalised name, or a project page without its trailing slash: 301 to the canonical page (relative, so
 *  it holds under any public URL) */
async function redirectToCanonical(m: Match) {
  const n = normalizeName(project(m));
  return { status: 301, headers: { location: m.trailingSlash ? `../${encodeURIComponent(n)}/` : `${encodeURIComponent(n)}/`, 'content-type': 'text/plain' }, body: `moved to ${n}/\n` };
}
