import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfigText, formatIssue, printEffective } from './load.js';
import { testModes } from './testmodes.js';

const load = (text: string, env: NodeJS.ProcessEnv = {}) => loadConfigText(text, { file: '/etc/cache-proxy/cache-proxy.yaml', env, modes: testModes });
const errs = (text: string, env: NodeJS.ProcessEnv = {}) => load(text, env).errors.map(formatIssue);
const warns = (text: string, env: NodeJS.ProcessEnv = {}) => load(text, env).warnings.map(formatIssue);

// engine spec §1.6, verbatim
const COMPAT = `server: { bind: "127.0.0.1:18080", backend: /var/lib/cache-proxy, status: { disk_sample_interval: 15m, disk_history_window: 24h, event_limit: 500 } }
metrics: { path: /metrics }
storage: { gc: { blob: 24h }, cleanup: { dry_run: false, batch_size: 500 }, download: { max_active: 64, max_active_per_instance: 8 } }
instances:
  - { name: npm, enabled: true, npm: { route: { path: /npm }, upstream: "https://registry.example/npm" } }
  - name: files
    enabled: true
    file:
      route: { path: /files }
      upstreams: [https://files.example, https://mirror.example/files]
      pass_headers: [X-Custom]
      default_policy: revalidate
      fresh_for: 5m
      busy_policy: stale
      transport: { proxy: "http://127.0.0.1:7890", ua: custom-agent/1.0, health: { trip_rate: 0.5 } }
      rules: [{ match: "releases/**/*.zip", policy: immutable, expire_after: 8760h }]
  - name: containers
    enabled: true
    oci: { bind: "127.0.0.1:5000", upstream: "https://registry.example", fresh_for: 10m,
           auth: { type: basic, username: my-user, password: $REGISTRY_PASSWORD },
           rules: [{ match: "library/*", policy: immutable, expire_after: 168h }] }
`;

test('the §1.6 compatibility config validates unchanged: defaults applied, values converted, secrets expanded', () => {
  const r = load(COMPAT, { REGISTRY_PASSWORD: 's3cret-pw' });
  assert.equal(r.errors.map(formatIssue), []);
  assert.equal(r.warnings.map(formatIssue), []);
  const c = r.config!;
  assert.is(c.file, '/etc/cache-proxy/cache-proxy.yaml');
  assert.is(c.server.bind, '127.0.0.1:18080');
  assert.is(c.server.backend, '/var/lib/cache-proxy');
  assert.is(c.server.status.disk_sample_interval, 15 * 60_000);
  assert.is(c.server.status.disk_history_window, 24 * 3_600_000);
  assert.is(c.server.limits.max_header_bytes, 16 * 1024);
  assert.is(c.server.limits.header_timeout, 20_000);
  assert.is(c.storage.download.max_active, 64);
  assert.is(c.storage.download.max_active_per_instance, 8);
  assert.is(c.storage.download.max_active_per_host, 32);
  assert.is(c.storage.download.detached_fill_budget, 1024 ** 3);
  assert.is(c.storage.negative_ttl, 60_000);
  assert.is(c.storage.max_size, Infinity);
  assert.is(c.storage.orphan_policy, 'keep');
  assert.equal(c.log, { level: 'info', format: 'json', access: false });
  assert.equal(c.instances.map((i) => [i.name, i.mode, i.enabled, i.path]), [
    ['npm', 'npm', true, 'instances[0].npm'], ['files', 'file', true, 'instances[1].file'], ['containers', 'oci', true, 'instances[2].oci'],
  ]);
  const [npm, files, oci] = c.instances.map((i) => i.block) as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  // mode block defaults applied, values left as written
  assert.is(npm!.expire_after, '720h');
  assert.is(npm!.tarball_hosts, 'auto');
  assert.is(files!.fresh_for, '5m');
  assert.is(files!.keep_query, false);
  assert.is(files!.vary_pass_headers, true);
  assert.is(files!.transport.ua, 'custom-agent/1.0');
  assert.is(files!.transport.dial_timeout, '3s');
  assert.is(files!.transport.health.trip_rate, 0.5);
  assert.is(files!.transport.health.degrade_rate, 0.1);
  assert.equal(files!.rules, [{ match: 'releases/**/*.zip', policy: 'immutable', expire_after: '8760h' }]);
  assert.is(oci!.auth.password, 's3cret-pw');
  assert.is(oci!.honor_ns_param, true);
  assert.ok(c.secrets.includes('s3cret-pw'));
  assert.ok(c.secrets.includes('http://127.0.0.1:7890'));
});

test('the compatibility config without REGISTRY_PASSWORD: one error naming key and variable', () => {
  assert.equal(errs(COMPAT), ['cache-proxy.yaml:20:62: instances[2].oci.auth.password: environment variable REGISTRY_PASSWORD is not set']);
});

const fileInstance = (lines: string) => `instances:
  - name: f
    enabled: true
    file:
      route: { path: /f }
      upstreams: ["http://files.example"]
${lines}`;

test('broken configs: each yields its file:line:col, path and message', () => {
  const cases: [string, string, string[]][] = [
    ['bad duration', fileInstance('      fresh_for: 5 mins\n'),
      ['cache-proxy.yaml:7:18: instances[0].file.fresh_for: must be a duration (30s, 5m) or "forever", got "5 mins"']],
    ['duration without unit', fileInstance('      expire_after: 30\n'),
      ['cache-proxy.yaml:7:21: instances[0].file.expire_after: must be a duration (720h) or "never", got "30" (missing unit (e.g. 30s))']],
    ['freshness under 1s', fileInstance('      file_fresh_for: 500ms\n'),
      ['cache-proxy.yaml:7:23: instances[0].file.file_fresh_for: must be a duration (30s, 5m) or "forever", got "500ms" (must be at least 1s)']],
    ['unknown key with suggestion', fileInstance('      fresh_fr: 5m\n'),
      ['cache-proxy.yaml:7:7: instances[0].file.fresh_fr: unknown key "fresh_fr" (did you mean "fresh_for"?)']],
    ['unknown key in a rule', fileInstance('      rules: [{ match: "*.iso", polcy: immutable }]\n'),
      ['cache-proxy.yaml:7:33: instances[0].file.rules[0].polcy: unknown key "polcy" (did you mean "policy"?)']],
    ['unknown top-level key', 'server: { bnd: ":8080" }\n',
      ['cache-proxy.yaml:1:11: server.bnd: unknown key "bnd" (did you mean "bind"?)']],
    ['two mode keys', 'instances:\n  - { name: f, file: { route: { path: /f }, upstreams: ["http://files.example"] }, npm: { route: { path: /n }, upstream: "http://registry.example" } }\n',
      ['cache-proxy.yaml:2:5: instances[0]: exactly one mode key is allowed, found file, npm']],
    ['no mode key', 'instances:\n  - { name: f, enabled: true }\n',
      ['cache-proxy.yaml:2:5: instances[0]: needs exactly one mode key (one of file, npm, oci, pypi)']],
    ['unknown mode', 'instances:\n  - { name: f, fiel: {} }\n',
      ['cache-proxy.yaml:2:16: instances[0].fiel: unknown key "fiel" (did you mean "file"?): neither an instance key nor a mode (file, npm, oci, pypi)']],
    ['duplicate mount', 'instances:\n  - { name: a, file: { route: { path: /x }, upstreams: ["http://files.example"] } }\n  - { name: b, file: { route: { path: /x/ }, upstreams: ["http://files.example"] } }\n',
      ['cache-proxy.yaml:3:39: instances[1].file.route.path: mount /x/ is already used by instance "a"']],
    ['mount = metrics path', 'instances:\n  - { name: a, file: { route: { path: /metrics }, upstreams: ["http://files.example"] } }\n',
      ['cache-proxy.yaml:2:39: instances[0].file.route.path: mount /metrics is the metrics path (metrics.path)']],
    ['bad mount', 'instances:\n  - { name: a, file: { route: { path: /-/x }, upstreams: ["http://files.example"] } }\n',
      ['cache-proxy.yaml:2:39: instances[0].file.route.path: must be a path like /npm (not /, no //, not under /-/), got "/-/x" (must not be under /-/ (reserved))']],
    ['duplicate names', 'instances:\n  - { name: a, file: { route: { path: /x }, upstreams: ["http://files.example"] } }\n  - { name: a, file: { route: { path: /y }, upstreams: ["http://files.example"] } }\n',
      ['cache-proxy.yaml:3:13: instances[1].name: duplicate instance name "a" (also instances[0])']],
    ['bad instance name', 'instances:\n  - { name: "a b", file: { route: { path: /x }, upstreams: ["http://files.example"] } }\n',
      ['cache-proxy.yaml:2:13: instances[0].name: must contain only letters, digits, "_" and "-", got "a b"']],
    ['duplicate bind', 'instances:\n  - { name: a, oci: { bind: "127.0.0.1:5000", upstream: "https://registry.example" } }\n  - { name: b, oci: { bind: "127.0.0.1:5000", upstream: "https://registry.example" } }\n',
      ['cache-proxy.yaml:3:29: instances[1].oci.bind: bind 127.0.0.1:5000 is already used by instance "a"']],
    ['bind = server.bind', 'server: { bind: ":5000", access: { tokens: [t0ken] } }\ninstances:\n  - { name: a, oci: { bind: "127.0.0.1:5000", upstream: "https://registry.example" } }\n',
      ['cache-proxy.yaml:3:29: instances[0].oci.bind: bind 127.0.0.1:5000 is the main listener (server.bind :5000)']],
    ['neither route nor bind', 'instances:\n  - { name: a, oci: { upstream: "https://registry.example" } }\n',
      ['cache-proxy.yaml:2:21: instances[0].oci: needs route.path (a mount on the main listener) or bind (a listener of its own)']],
    ['missing env var', 'metrics: { token: $NOPE_TOKEN }\n',
      ['cache-proxy.yaml:1:19: metrics.token: environment variable NOPE_TOKEN is not set']],
    ['missing env var, braced, in a list', 'server: { access: { tokens: [ok, "${CI_TOKEN}"] } }\n',
      ['cache-proxy.yaml:1:34: server.access.tokens[1]: environment variable CI_TOKEN is not set']],
    ['alias and kind key both set', fileInstance('      default_policy: immutable\n      file_policy: bypass\n'),
      ['cache-proxy.yaml:8:7: instances[0].file.file_policy: "default_policy" and "file_policy" are both set; default_policy is the legacy name of file_policy: keep one']],
    ['forbidden pass header', fileInstance('      pass_headers: [X-Custom, Authorization]\n'),
      ['cache-proxy.yaml:7:32: instances[0].file.pass_headers[1]: must be a header name that may be forwarded, got "Authorization" (never forwarded upstream: hop-by-hop headers, Host, Authorization, X-Forwarded-* and X-Real-IP are not allowed)']],
    ['forbidden pass header X-Forwarded-For', fileInstance('      pass_headers:\n        - x-forwarded-for\n'),
      ['cache-proxy.yaml:8:11: instances[0].file.pass_headers[0]: must be a header name that may be forwarded, got "x-forwarded-for" (never forwarded upstream: hop-by-hop headers, Host, Authorization, X-Forwarded-* and X-Real-IP are not allowed)']],
    ['bad glob', fileInstance('      rules: [{ match: "releases/[", policy: immutable }]\n'),
      ['cache-proxy.yaml:7:24: instances[0].file.rules[0].match: must be a valid glob, got "releases/[" (Missing closing: "]" - use "\\\\]" to match literal characters)']],
    ['scheme-less url', 'instances:\n  - { name: f, enabled: true, file: { route: { path: /f }, upstreams: ["files.example/x"] } }\n',
      ['cache-proxy.yaml:2:72: instances[0].file.upstreams[0]: must be an absolute http(s) URL with a host, got "files.example/x" (missing scheme: write http:// or https://)']],
    ['url with a fragment', 'server: { public_url: "https://proxy.example/#x" }\n',
      ['cache-proxy.yaml:1:23: server.public_url: must be an absolute http(s) URL with a host, got "https://proxy.example/#x" (must not have a fragment)']],
    ['duplicate YAML key', 'server: { bind: "127.0.0.1:1" }\nstorage: {}\nserver: { bind: "127.0.0.1:2" }\n',
      ['cache-proxy.yaml:3:1: server: duplicate key "server" (a key may appear once per mapping)']],
    ['nested duplicate YAML key', 'server:\n  bind: "127.0.0.1:1"\n  bind: "127.0.0.1:2"\n',
      ['cache-proxy.yaml:3:3: server.bind: duplicate key "bind" (a key may appear once per mapping)']],
    ['two documents', 'server: {}\n---\nstorage: {}\n',
      ['cache-proxy.yaml:2:1: only one YAML document is allowed, found 2']],
    ['wrong type', 'storage: { download: { max_active: lots } }\n',
      ['cache-proxy.yaml:1:36: storage.download.max_active: must be an integer, got "lots"']],
    ['wrong type: mapping expected', 'server: [a, b]\n',
      ['cache-proxy.yaml:1:9: server: must be a mapping, got a list']],
    ['bad enum with suggestion', fileInstance('      busy_policy: stal\n'),
      ['cache-proxy.yaml:7:20: instances[0].file.busy_policy: must be one of "join", "stale", "bypass", got "stal" (did you mean "stale"?)']],
    ['kind key outside the kind\'s allow list', 'instances:\n  - { name: o, oci: { bind: "127.0.0.1:5000", upstream: "https://registry.example", blob_policy: revalidate } }\n',
      ['cache-proxy.yaml:2:98: instances[0].oci.blob_policy: must be one of "bypass", "immutable", got "revalidate"']],
    ['removed top-level key', 'storage: { cleanup: { interval: 6h } }\n',
      ['cache-proxy.yaml:1:23: storage.cleanup.interval: removed key "interval": expiry cleanup is scheduled by the engine (one expire_cleanup task per instance); delete the key']],
    ['removed mode key', 'instances:\n  - { name: p, pypi: { route: { path: /pypi }, upstream: "https://pypi.example", artifact_policy: immutable } }\n',
      ['cache-proxy.yaml:2:82: instances[0].pypi.artifact_policy: removed key "artifact_policy": use file_policy']],
    ['missing required key', 'instances:\n  - { name: f, file: { route: { path: /f } } }\n',
      ['cache-proxy.yaml:2:22: instances[0].file: missing required key "upstreams"']],
    ['basic auth without password', 'instances:\n  - { name: o, oci: { bind: "127.0.0.1:5000", upstream: "https://registry.example", auth: { type: basic, username: u } } }\n',
      ['cache-proxy.yaml:2:91: instances[0].oci.auth: missing required key "password"']],
    ['bad proxy url', fileInstance('      transport: { proxy: "ftp://proxy.example" }\n'),
      ['cache-proxy.yaml:7:27: instances[0].file.transport.proxy: must be an http, https or socks5 URL, got "ftp://proxy.example" (scheme must be http, https or socks5, not ftp)']],
    ['health rate out of range', fileInstance('      transport: { health: { trip_rate: 2, probe_interval: 30s } }\n'),
      ['cache-proxy.yaml:7:41: instances[0].file.transport.health.trip_rate: must be <= 1, got 2']],
    ['bad checksum rule field', fileInstance('      rules: [{ match: "*.iso", checksum: "md5" }]\n'),
      ['cache-proxy.yaml:7:43: instances[0].file.rules[0].checksum: must be sidecar:<suffix> (e.g. sidecar:.sha256) or sums:<name> (e.g. sums:SHA256SUMS), got "md5"']],
    ['bad tarball_hosts', 'instances:\n  - { name: n, npm: { route: { path: /n }, upstream: "https://registry.example", tarball_hosts: sometimes } }\n',
      ['cache-proxy.yaml:2:97: instances[0].npm.tarball_hosts: must be "auto" or a list of URLs, got "sometimes"']],
    ['bad tarball_hosts entry', 'instances:\n  - { name: n, npm: { route: { path: /n }, upstream: "https://registry.example", tarball_hosts: [cdn.example] } }\n',
      ['cache-proxy.yaml:2:98: instances[0].npm.tarball_hosts[0]: must be an absolute http(s) URL with a host, got "cdn.example" (missing scheme: write http:// or https://)']],
    ['metrics path', 'metrics: { path: /metrics/ }\n',
      ['cache-proxy.yaml:1:18: metrics.path: must start with "/", not be "/", and contain no "//" or trailing "/", got "/metrics/"']],
  ];
  for (const [name, text, want] of cases) assert.equal(errs(text), want, name);
});

test('the message of engine spec §1.5, at the same line and column', () => {
  const text = `instances:
  - name: a
    enabled: true
    file:
      route: { path: /a }
      upstreams: ["https://files.example"]
  - name: b
    enabled: true
    file:
      route: { path: /b }
      upstreams: ["https://files.example"]
  - name: c
    npm:
     metadata_fresh_for: 5 mins
     route: { path: /npm }
     upstream: "https://registry.example/npm"
    enabled: true
`;
  assert.equal(errs(text), ['cache-proxy.yaml:14:26: instances[2].npm.metadata_fresh_for: must be a duration (30s, 5m) or "forever", got "5 mins"']);
});

test('all errors at once, sorted by position', () => {
  const e = errs(`storage: { download: { max_active: x } }
server: { bind: nope }
instances:
  - { name: a, file: { route: { path: /x }, upstreams: ["files.example"], fresh_fr: 1m } }
metrics: { path: "x" }
`);
  assert.equal(e.map((x) => x.split(': ')[0]), ['cache-proxy.yaml:1:36', 'cache-proxy.yaml:2:17', 'cache-proxy.yaml:4:57', 'cache-proxy.yaml:4:75', 'cache-proxy.yaml:5:18']);
});

test('secrets: $NAME / ${NAME} only in x-secret fields, $$ literal, never printed', () => {
  const env = { MT: 'metrics-token-1', ST: 'status-token-2', AT: 'access-token-3', PW: 'proxy-pw-4', TK: 'bearer-tok-5' };
  const r = load(`server:
  status: { token: $ST }
  access: { tokens: ["\${AT}", literal-token-6] }
  backend: "/srv/$HOME/cache"
metrics: { token: "$MT" }
instances:
  - name: f
    enabled: true
    access: { tokens: [inst-token-7] }
    file:
      route: { path: /f }
      upstreams: ["https://user:url-pass-8@files.example"]
      auth: { type: bearer, token: "$TK" }
      transport: { proxy: "http://u:$PW@127.0.0.1:3128", ua: "a$$b" }
`, { ...env, HOME: '/root' });
  assert.equal(r.errors.map(formatIssue), []);
  const c = r.config!;
  assert.is(c.metrics.token, 'metrics-token-1');
  assert.is(c.server.status.token, 'status-token-2');
  assert.equal(c.server.access!.tokens, ['access-token-3', 'literal-token-6']);
  assert.is(c.server.backend, '/srv/$HOME/cache'); // not a secret field: not expanded
  const block = c.instances[0]!.block as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.is(block.transport.proxy, 'http://u:proxy-pw-4@127.0.0.1:3128');
  assert.is(block.transport.ua, 'a$$b'); // not a secret: "$$" left alone
  assert.is(block.auth.token, 'bearer-tok-5');
  assert.equal(c.instances[0]!.access, { tokens: ['inst-token-7'], anonymous: false });
  const printed = printEffective(c);
  for (const s of [...Object.values(env), 'literal-token-6', 'inst-token-7', 'url-pass-8']) assert.not.ok(printed.includes(s), `${s} printed`);
  assert.ok(printed.includes('***'));
  assert.ok(printed.includes('name: f'));
  assert.is(load('metrics: { token: "a$$b" }\n').config!.metrics.token, 'a$b');
});

test('empty string means unset; YAML merge keys; null blocks get defaults', () => {
  const r = load(`server: { public_url: "", bind: "127.0.0.1:18080" }
storage:
instances:
  - name: a
    enabled: true
    file: &base { route: { path: /a }, upstreams: ["https://files.example"], fresh_for: 1m, expire_after: "" }
  - name: b
    enabled: true
    file: { <<: *base, route: { path: /b } }
`);
  assert.equal(r.errors.map(formatIssue), []);
  const c = r.config!;
  assert.is(c.server.public_url, undefined);
  assert.is(c.storage.gc.blob, 24 * 3_600_000);
  assert.is(c.instances[0]!.block.expire_after, '720h');
  assert.is(c.instances[1]!.block.fresh_for, '1m');
  assert.equal(c.instances[1]!.block.route, { path: '/b' });
});

test('warnings: yes/no booleans, missing enabled, legacy spellings, ignored pass headers, open binds, orphan_policy', () => {
  const text = `server: { bind: "0.0.0.0:18080" }
log: { access: yes }
storage: { orphan_policy: purge }
instances:
  - name: f
    enabled: on
    file:
      route: { path: /f }
      upstreams: ["https://files.example"]
      pass_headers: [X-Custom, Cookie, If-None-Match]
      fresh_for: always
      rules: [{ match: "*.iso", expire_after: 0 }]
  - { name: o, oci: { bind: ":5000", upstream: "https://registry.example" } }
`;
  const r = load(text);
  assert.equal(r.errors.map(formatIssue), []);
  assert.equal(r.warnings.map(formatIssue), [
    'cache-proxy.yaml:1:17: server.bind: listens on 0.0.0.0 without access tokens (set server.access.tokens)',
    'cache-proxy.yaml:2:16: log.access: "yes" read as true; write true or false',
    'cache-proxy.yaml:3:27: storage.orphan_policy: unknown orphan_policy "purge": treated as "keep" (use keep or auto)',
    'cache-proxy.yaml:6:14: instances[0].enabled: "on" read as true; write true or false',
    'cache-proxy.yaml:10:32: instances[0].file.pass_headers[1]: "Cookie" is never forwarded (the engine owns it); ignored',
    'cache-proxy.yaml:10:40: instances[0].file.pass_headers[2]: "If-None-Match" is never forwarded (the engine owns it); ignored',
    'cache-proxy.yaml:11:18: instances[0].file.fresh_for: "always" is a legacy spelling of "forever"; write forever',
    'cache-proxy.yaml:12:47: instances[0].file.rules[0].expire_after: "0" is a legacy spelling of "never"; write never',
    'cache-proxy.yaml:13:5: instances[1]: instance "o" has no "enabled: true": it is validated but not served',
    'cache-proxy.yaml:13:29: instances[1].oci.bind: listens on every address without access tokens (set access.tokens or server.access.tokens)',
  ]);
  const c = r.config!;
  assert.is(c.log.access, true);
  assert.is(c.instances[0]!.enabled, true);
  assert.is(c.instances[1]!.enabled, false);
  assert.equal(c.instances[0]!.block.pass_headers, ['X-Custom']);
  assert.is((c.instances[0]!.block.rules as { expire_after: string }[])[0]!.expire_after, '0');
});

test('sizes and durations of the top level and instances are converted', () => {
  const c = load(`storage: { max_size: 10GB, min_free: 512MiB, max_object_size: 1048576, negative_ttl: 0, download: { request_interval_per_host: 250ms } }
instances:
  - { name: a, enabled: true, max_size: 1GiB, negative_ttl: 5m, offline: true, file: { route: { path: /a }, upstreams: ["https://files.example"] } }
`).config!;
  assert.is(c.storage.max_size, 10e9);
  assert.is(c.storage.min_free, 512 * 1024 ** 2);
  assert.is(c.storage.max_object_size, 1048576);
  assert.is(c.storage.negative_ttl, 0);
  assert.is(c.storage.download.request_interval_per_host, 250);
  assert.is(c.instances[0]!.max_size, 1024 ** 3);
  assert.is(c.instances[0]!.negative_ttl, 300_000);
  assert.is(c.instances[0]!.offline, true);
});

test('plugins-only pass reads plugins without knowing the plugin modes', () => {
  const r = loadConfigText('plugins: [cache-proxy-mode-x, ./local]\ninstances:\n  - { name: x, x: { route: { path: /x } } }\n', { modes: [], pluginsOnly: true });
  assert.equal(r.errors, []);
  assert.equal(r.config!.plugins, ['cache-proxy-mode-x', './local']);
});

test.run();
