// Mode `maven`: a read-only pull-through cache of one Maven-layout repository, for Maven, Gradle and other
// resolvers mirrored to `<proxy>/<route>/`. Bodies are served byte for byte (the layout embeds no URLs).
// Routes below are mount-relative paths; the kind of a file comes from its version directory and name (layout.ts).
import { defineMode, credentialsFromAuth, type ModeConfig, type ReqView } from '../../engine/mode.js';
import { readModeSchema } from '../../engine/config/mode-schema.js';
import { settings } from './settings.js';
import { kindOf, type MavenKind } from './layout.js';
import { verifyBySidecar } from './verify.js';
import { checkXml, refuseHtml } from './xml.js';
import { discoverMaven } from './discover.js';

const READ_ONLY = 'read-only caching proxy: deploys are not accepted';
const is = (kind: MavenKind) => (r: ReqView) => !r.trailingSlash && kindOf(r.path) === kind;
const file = { glob: '**' };

export default defineMode({
  name: 'maven',
  contract: 1,
  schema: readModeSchema(import.meta.url),
  settings: settings.parse,
  mount: 'route',
  kinds: {
    // maven-metadata.xml at any level, archetype catalogs, .index/, and their sidecars: revalidated together
    metadata: { policy: 'revalidate', busy: 'stale', body: { admitHead: refuseHtml, check: checkXml } },
    // non-unique files of a -SNAPSHOT directory (rewritten by each deploy) and their sidecars
    snapshot: { policy: 'revalidate', busy: 'stale', body: { admitHead: refuseHtml, verify: verifyBySidecar, check: checkXml } },
    // sidecars of immutable files: fetched with the file they describe
    checksum: { policy: 'immutable', fresh_for: '30s', busy: 'bypass' },
    // released and timestamped snapshot files: immutable, verified against their sidecar before they are stored
    release: { policy: 'immutable', busy: 'join', body: { admitHead: refuseHtml, verify: verifyBySidecar, check: checkXml } },
    listing: { policy: 'bypass', keys: false },
  },
  routes: [
    { match: file, methods: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], when: (r) => r.method !== 'GET' && r.method !== 'HEAD', status: 405, message: READ_ONLY },
    { match: { regex: /^$/ }, kind: 'listing' },
    { match: file, when: (r) => r.trailingSlash === true, kind: 'listing' },
    { match: file, when: is('metadata'), kind: 'metadata' },
    { match: file, when: is('snapshot'), kind: 'snapshot' },
    { match: file, when: is('checksum'), kind: 'checksum' },
    { match: file, kind: 'release' },
  ],
  upstreams: (c: ModeConfig) => [String(c.upstream).replace(/\/+$/, '')],
  credentials: credentialsFromAuth,
  hooks: {
    snippet: (url) => `<mirror><id>cache-proxy</id><mirrorOf>*</mirrorOf><url>${url}/</url></mirror>  (in ~/.m2/settings.xml)`,
  },
  discover: () => discoverMaven(),
});
