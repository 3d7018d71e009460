// Mode `cargo`: a read-only pull-through Cargo sparse registry (`sparse+<proxy>/<mount>/`). config.json, index
// files and `.crate` downloads under one mount; the crate files usually live on the origin the upstream's `dl`
// template names.
import { defineMode, credentialsFromAuth, type ModeConfig } from '../../engine/mode.js';
import { readModeSchema } from '../../engine/config/mode-schema.js';
import { settings, upstreamOf } from './settings.js';
import { CRATE_NAME, nameOfIndexPath } from './names.js';
import { indexConfig, rewriteConfig } from './upstream-config.js';
import { indexCrateFile } from './index-file.js';
import { cratePins } from './crate-pins.js';
import { READ_ONLY, admitApi, apiTarget, cargoError } from './api.js';
import { discoverCargo } from './discover.js';

const re = (body: string) => ({ regex: new RegExp(`^${body}$`) });
const GONE = { goneStatuses: [451] };
const writes = (r: { method: string }) => r.method !== 'GET' && r.method !== 'HEAD';

export default defineMode({
  name: 'cargo',
  contract: 1,
  schema: readModeSchema(import.meta.url),
  settings: settings.parse,
  mount: 'route',
  kinds: {
    // 404/410/451: no such crate for cargo, passed through and remembered (absorbs cargo's `-`/`_` spelling probes)
    index: { policy: 'revalidate', busy: 'stale', expire_after: '720h', upstream: GONE, body: { maxBytes: '64MiB', index: indexCrateFile } },
    // config.json: governed by the index_* keys; stored as the upstream sent it, rewritten per public base
    config: { policy: 'revalidate', busy: 'stale', keys: { sharedWith: 'index' }, upstream: GONE, body: { maxBytes: '1MiB', index: indexConfig, rewrite: rewriteConfig } },
    crate: { policy: 'immutable', busy: 'join', expire_after: '720h', upstream: GONE, body: { pinnedBy: cratePins } },
    api: { policy: 'bypass', cache: { admit: admitApi } },
  },
  routes: [
    { match: re('api/v1/.*'), methods: ['PUT', 'DELETE', 'POST', 'PATCH'], when: writes, status: 405, message: READ_ONLY },
    { match: re('(?:config\\.json)?'), kind: 'config', key: 'config.json', upstream: 'config.json' },
    { match: re(`(?:1|2|3/[^/]|[^/]{2}/[^/]{2})/(?<name>${CRATE_NAME})`), when: (r) => nameOfIndexPath(r.path) !== null, kind: 'index' },
    {
      match: re(`api/v1/crates/(?<crate>${CRATE_NAME})/(?<version>[^/]+)/download`), kind: 'crate',
      key: (m) => `${m.params.crate!.toLowerCase()}/${m.params.version}`,
      // the pin's target (cratePins) names the download URL; this path on the index origin only when no config is known
    },
    { match: re('api/v1/.*'), kind: 'api', query: 'forward', upstream: apiTarget },
    { match: { glob: '**' }, status: 404, message: 'not found' },
  ],
  upstreams: (c: ModeConfig) => [upstreamOf(c)],
  origins: (c: ModeConfig) => (typeof c.download_template === 'string' ? [c.download_template.replace(/\{[^}]*\}/g, 'x')] : []),
  // the upstream `auth` goes to the index origin, and to download origins only with auth_downloads
  credentialsFor: (c: ModeConfig, origin: string) => (origin === new URL(upstreamOf(c)).origin || c.auth_downloads === true ? credentialsFromAuth(c) : null),
  clientAuth: {
    // cargo sends its token verbatim, without a scheme
    token: (authorization) => authorization.trim() || undefined,
    required: (c) => c.auth_required === true,
    // cargo learns "auth-required" from config.json, then sends its token everywhere
    open: (path) => path === 'config.json' || path === '',
    challenge: (publicBase) => ({ 'www-authenticate': `Cargo login_url="${publicBase}/"` }),
  },
  hooks: {
    snippet: (url) => `printf '[source.crates-io]\\nreplace-with = "cache-proxy"\\n[source.cache-proxy]\\nregistry = "sparse+${url}/"\\n' >> ~/.cargo/config.toml`,
    errorBody: (status, _code, message) => (status < 500 ? { body: cargoError(message), type: 'application/json' } : undefined),
  },
  discover: () => discoverCargo(),
});
