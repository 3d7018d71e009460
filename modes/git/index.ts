// Mode `git`: read-only mirrors of upstream git repositories over smart HTTP (protocol v0, v1, v2; shallow
// and partial clones). Responses are computed per request by git's upload-pack from a local bare mirror
// (see mirror.ts for its snapshots); the engine's object cache is not used. In a cluster a repository's
// requests go to the node that owns it (owner key = the repository), so one node keeps its mirror.
import { defineMode, type ModeConfig } from '../../engine/mode.js';
import { readModeSchema } from '../../engine/config/mode-schema.js';
import { controllerOf } from '../../engine/controller.js';
import { GitInstance } from './controller.js';
import { gitAvailable } from './git-process.js';
import { checkGitConfig, settings } from './settings.js';

const git = controllerOf<GitInstance>;
const service = (name: string) => (r: { query: URLSearchParams }) => r.query.get('service') === name;

export default defineMode({
  name: 'git',
  contract: 1,
  schema: readModeSchema(import.meta.url),
  settings: settings.parse,
  mount: 'route',
  optOut: ['transport', 'expire_after', 'kind_keys'],
  // kinds only label the requests (cache_proxy_requests_total): nothing is stored in the engine cache
  kinds: {
    advertisement: { policy: 'bypass', keys: false },
    pack: { policy: 'bypass', keys: false },
  },
  routes: [
    { match: { regex: /(^|\/)info\/refs$/ }, when: service('git-receive-pack'), methods: ['GET', 'HEAD'], status: 403, message: 'read-only mirror' },
    { match: { regex: /(^|\/)git-receive-pack$/ }, methods: ['GET', 'POST'], status: 403, message: 'read-only mirror' },
    { match: { regex: /(^|\/)info\/refs$/ }, when: service('git-upload-pack'), methods: ['GET', 'HEAD'], kind: 'advertisement', respond: (m, body, ctx) => git(ctx).respond(m, body), owner: (m, ctx) => git(ctx).ownerKey(m) },
    { match: { regex: /(^|\/)git-upload-pack$/ }, methods: ['POST'], kind: 'pack', maxBody: '64MiB', respond: (m, body, ctx) => git(ctx).respond(m, body), owner: (m, ctx) => git(ctx).ownerKey(m) },
    // the dumb protocol: info/refs without a service, objects, HEAD
    { match: { regex: /(^|\/)(info\/refs|HEAD|objects\/.*|info\/(packs|alternates|http-alternates))$/ }, methods: ['GET', 'HEAD'], status: 404, message: 'smart HTTP only' },
  ],
  upstreams: () => [],
  checkConfig: (c: ModeConfig) => checkGitConfig(c, gitAvailable),
  hooks: { snippet: (url, c) => (c.upstream && !c.repositories && !c.upstream_base ? `git clone ${url}` : `git clone ${url}/<repository>`) },
  instance: (ctx) => new GitInstance(ctx, settings.of(ctx)),
});
