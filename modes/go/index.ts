// Mode `go`: a GOPROXY-protocol module proxy (GOPROXY=<base><mount>) that also proxies the checksum database.
// Module paths arrive case-encoded (`!x` = `X`) and are validated before anything else; keys and upstream
// paths keep the encoded form. Routes are mount-relative.
import { defineMode, credentialsFromAuth, type Match, type ModeConfig, type ReqView, type RespondHook } from '../../engine/mode.js';
import { readModeSchema } from '../../engine/config/mode-schema.js';
import { settings } from './settings.js';
import { leadingModule, moduleRequest, isCanonicalVersion, unescapeCase, validModulePath } from './module-path.js';
import { checkModuleDocument, checkSumdbAnswer, checkVersionFile, checkZip, recordKnown } from './checks.js';
import { discoverGo } from './discover.js';

const re = (body: string) => ({ regex: new RegExp(`^${body}$`) });
const s = (c: ModeConfig) => settings.parse(c);
const mod = (r: ReqView) => moduleRequest(r.path);
const privateModule = (r: ReqView, c: ModeConfig) => { const m = leadingModule(r.path); return m !== null && s(c).isPrivate(m); };
const canonical = (r: ReqView) => { const q = mod(r); return !!q?.valid && q.version !== undefined && isCanonicalVersion(q.version); };
const valid = (r: ReqView) => !!mod(r)?.valid;
// upstream paths keep the protocol's encoded form as sent (`!x`, a raw `@`)
const asSent = (m: Match) => m.segments.map((x) => encodeURIComponent(x).replace(/%40/g, '@')).join('/');

const SUMDB = 'sumdb/(?<db>[^/]+)';
const sumdbOn = (r: ReqView, c: ModeConfig) => { const db = s(c).sumdb; return db !== null && r.path.split('/')[1] === db.name; };
const sumdbUrl = (c: ModeConfig) => s(c).sumdb!.url;
const LOOKUP = /^sumdb\/[^/]+\/lookup\/(.+)@([^@/]+)$/;
const lookupOf = (r: ReqView) => { const m = LOOKUP.exec(r.path); const p = m && unescapeCase(m[1]!); const v = m && unescapeCase(m[2]!); return p && v && validModulePath(p) && isCanonicalVersion(v) ? p : null; };
const TILE = 'tile/(?<tile>\\d+/(?:\\d+|data)/(?:x\\d{3}/)*\\d{3}(?:\\.p/\\d+)?)';

const supported: RespondHook = async (m, _body, ctx) => (
  settings.of(ctx).sumdb?.name === m.params.db ? { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '' }
    : { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'not found\n' });

const READ_ONLY = 'this is a read-only module proxy';
const TEXT = 'text/plain; charset=utf-8';
/** the protocol's types: JSON for .info and @latest, text for lists, go.mod and lookups, bytes for hash tiles */
const byFile = (m: Match) => (/(?:\.info|\/@latest)$/.test(m.path) ? 'application/json' : /\/tile\//.test(m.path) ? 'application/octet-stream' : TEXT);
const PRIVATE = 'not found: private module (goprivate), not served by this proxy';
const INVALID = 'invalid module path or version';

export default defineMode({
  name: 'go',
  contract: 1,
  schema: readModeSchema(import.meta.url),
  settings: settings.parse,
  mount: 'route',
  kinds: {
    // version lists and @latest: revalidated
    module: { policy: 'revalidate', fresh_for: '1m', busy: 'stale', expire_after: '720h', upstream: { failoverOnStatus: [404, 410] }, body: { check: checkModuleDocument, contentType: byFile } },
    // .info and .mod of a canonical version never change; .mod is checked against the checksum database
    version: { policy: 'immutable', busy: 'join', expire_after: '720h', upstream: { failoverOnStatus: [404, 410] }, body: { verify: recordKnown, check: checkVersionFile, contentType: byFile } },
    zip: { policy: 'immutable', busy: 'join', expire_after: '720h', upstream: { failoverOnStatus: [404, 410] }, body: { verify: recordKnown, check: checkZip, contentType: 'application/zip' } },
    // @v/<branch or tag prefix>.info: the proxy resolves it, nothing is stored
    query: { policy: 'bypass', upstream: { failoverOnStatus: [404, 410] } },
    // the checksum database's signed tree head
    sumdb: { policy: 'revalidate', fresh_for: '30s', busy: 'bypass', expire_after: '720h', body: { check: checkSumdbAnswer, contentType: TEXT } },
    // lookups and tiles never change
    sumdb_data: { policy: 'immutable', busy: 'join', expire_after: '720h', body: { check: checkSumdbAnswer, contentType: byFile } },
  },
  routes: [
    { match: { glob: '**' }, methods: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], when: (r) => r.method !== 'GET' && r.method !== 'HEAD', status: 405, message: READ_ONLY },
    { match: re(`${SUMDB}/supported`), respond: supported },
    { match: re(`${SUMDB}/latest`), when: sumdbOn, kind: 'sumdb', upstream: (m) => `${sumdbUrl(m.config)}/latest` },
    { match: re(`${SUMDB}/lookup/(?<mv>.+)`), when: (r, c) => sumdbOn(r, c) && !!lookupOf(r) && s(c).isPrivate(lookupOf(r)!), status: 404, message: PRIVATE },
    { match: re(`${SUMDB}/lookup/(?<mv>.+)`), when: (r, c) => sumdbOn(r, c) && !!lookupOf(r), kind: 'sumdb_data', upstream: (m) => `${sumdbUrl(m.config)}/lookup/${m.params.mv}` },
    { match: re(`${SUMDB}/${TILE}`), when: sumdbOn, kind: 'sumdb_data', upstream: (m) => `${sumdbUrl(m.config)}/tile/${m.params.tile}` },
    { match: re('sumdb/.*'), status: 404, message: 'not found' },
    { match: re('.+?/@(?:v/.*|latest)'), when: privateModule, status: 404, message: PRIVATE },
    { match: re('.+?/@v/list'), when: valid, kind: 'module', upstream: asSent },
    { match: re('.+?/@latest'), when: valid, kind: 'module', upstream: asSent },
    { match: re('.+?/@v/[^/]+\\.(?:info|mod)'), when: canonical, kind: 'version', upstream: asSent },
    { match: re('.+?/@v/[^/]+\\.zip'), when: canonical, kind: 'zip', upstream: asSent },
    { match: re('.+?/@v/[^/]+\\.info'), when: valid, kind: 'query', upstream: asSent },
    { match: re('.+?/(?:@v/list|@latest|@v/[^/]+\\.(?:info|mod|zip))'), status: 404, message: INVALID },
    { match: { glob: '**' }, status: 404, message: 'not found' },
  ],
  upstreams: (c: ModeConfig) => s(c).proxies,
  // the checksum database is a fetch target of the sumdb/ routes only: module routes ask relative paths of the proxies
  origins: (c: ModeConfig) => { const db = s(c).sumdb; return db ? [db.url] : []; },
  credentials: credentialsFromAuth,
  hooks: {
    snippet: (url) => `go env -w GOPROXY=${url}`,
    setup: async (ctx) => {
      const c = ctx.config.sumdb as { enabled?: boolean } | undefined;
      if (c?.enabled !== false && !settings.of(ctx).sumdb) ctx.log.warn('no checksum database configured or found in the environment (GOSUMDB, go env GOSUMDB): checksum database proxying is off', { instance: ctx.instance });
    },
  },
  discover: () => discoverGo(),
});
