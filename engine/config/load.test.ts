import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfigText, formatIssue, printEffective } from './load.js';
import { builtinModes } from '../../modes/index.js';

const load = (text: string, env: NodeJS.ProcessEnv = {}) => loadConfigText(text, { file: 'cache-proxy.yaml', env, modes: builtinModes });
const errs = (text: string, env: NodeJS.ProcessEnv = {}) => load(text, env).errors.map(formatIssue);

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

test('the §1.6 compatibility config validates unchanged, defaults applied, secrets expanded', () => {
  const r = load(COMPAT, { REGISTRY_PASSWORD: 's3cret-pw' });
  assert.equal(r.errors.map(formatIssue), []);
  const c = r.config!;
  assert.is(c.instances.length, 3);
  assert.is(c.storage.download.max_active_per_host, 32);
  assert.is(c.storage.negative_ttl, 60_000);
  assert.is(c.server.limits.max_header_bytes, 16 * 1024);
  assert.is((c.instances[2]!.block.auth as { password: string }).password, 's3cret-pw');
  assert.ok(c.secrets.includes('s3cret-pw'));
  const printed = printEffective(c);
  assert.not.ok(printed.includes('s3cret-pw'));
  assert.ok(printed.includes('***'));
});

test('broken configs: file:line:col: path: message', () => {
  const base = (block: string) => `instances:\n  - name: f\n    enabled: true\n    file:\n      route: { path: /f }\n      upstreams: ["http://127.0.0.1:9"]\n${block}`;
  assert.equal(errs(base('      fresh_for: "5 mins"\n')), ['cache-proxy.yaml:7:18: instances[0].file.fresh_for: must be a duration (30s, 5m) or "forever", got "5 mins"']);
  assert.equal(errs(base('      fresh_fr: 5m\n')), ['cache-proxy.yaml:7:7: instances[0].file.fresh_fr: unknown key "fresh_fr" (did you mean "fresh_for"?)']);
  assert.equal(errs(base('      default_policy: immutable\n      file_policy: bypass\n')), ['cache-proxy.yaml:8:7: instances[0].file.file_policy: "default_policy" and "file_policy" set together: default_policy is the legacy name of file_policy; keep one']);
  assert.equal(errs(base('      pass_headers: [Authorization]\n')), ['cache-proxy.yaml:7:22: instances[0].file.pass_headers[0]: must be a header name that may be forwarded, got "Authorization"']);
  assert.equal(errs(base('      rules: [{ match: "[" }]\n')), ['cache-proxy.yaml:7:24: instances[0].file.rules[0].match: must be a valid glob, got "["']);
  assert.equal(errs('instances:\n  - { name: f, enabled: true, file: { route: { path: /f }, upstreams: ["files.example/x"] } }\n'),
    ['cache-proxy.yaml:2:72: instances[0].file.upstreams[0]: must be an absolute http(s) URL with a host, got "files.example/x"']);
  assert.equal(errs('instances:\n  - { name: f, file: { route: { path: /f }, upstreams: ["http://a.example"] }, npm: { route: { path: /n }, upstream: "http://a.example" } }\n'),
    ['cache-proxy.yaml:2:5: instances[0]: exactly one mode key is allowed, found file, npm']);
  const dupMount = errs('instances:\n  - { name: a, file: { route: { path: /x }, upstreams: ["http://a.example"] } }\n  - { name: b, file: { route: { path: /x }, upstreams: ["http://a.example"] } }\n');
  assert.equal(dupMount, ['cache-proxy.yaml:3:39: instances[1].file.route.path: mount /x is already used by instance "a"']);
  const dupName = errs('instances:\n  - { name: a, file: { route: { path: /x }, upstreams: ["http://a.example"] } }\n  - { name: a, file: { route: { path: /y }, upstreams: ["http://a.example"] } }\n');
  assert.equal(dupName, ['cache-proxy.yaml:3:13: instances[1].name: duplicate instance name "a" (also instances[0])']);
  assert.equal(errs('server: { bind: "127.0.0.1:1" }\nserver: { bind: "127.0.0.1:2" }\n').length, 1);
  assert.match(errs('server: { bind: "127.0.0.1:1" }\nserver: { bind: "127.0.0.1:2" }\n')[0]!, /^cache-proxy\.yaml:2:1: .*unique/i);
  assert.equal(errs('storage: { cleanup: { interval: 6h } }\n'), ['cache-proxy.yaml:1:23: storage.cleanup.interval: removed key: cleanup runs hourly per instance now; remove the key (storage.cleanup.batch_size still applies)']);
});

test('a missing environment variable names key and variable', () => {
  const e = errs('metrics: { token: $NOPE_TOKEN }\n');
  assert.equal(e, ['cache-proxy.yaml:1:19: metrics.token: environment variable NOPE_TOKEN is not set']);
  assert.equal(load('metrics: { token: "a$$b" }\n').config!.metrics.token, 'a$b');
  // not a secret field: no expansion
  assert.is(load('server: { backend: "/tmp/$HOME" }\n', { HOME: '/root' }).config!.server.backend, '/tmp/$HOME');
});

test('warnings: yes/no booleans, missing enabled, ignored pass headers; several errors all at once', () => {
  const r = load('log: { access: yes }\ninstances:\n  - { name: f, file: { route: { path: /f }, upstreams: ["http://a.example"], pass_headers: [Cookie] } }\n');
  assert.equal(r.errors, []);
  assert.is(r.config!.log.access, true);
  const w = r.warnings.map(formatIssue).join('\n');
  assert.match(w, /log\.access: "yes" read as true/);
  assert.match(w, /has no "enabled: true"/);
  assert.match(w, /"Cookie" is never forwarded/);
  assert.is(errs('server: { bind: nope }\nmetrics: { path: "x" }\n').length, 2);
});
test('a configuration that serves nothing is valid with a warning: an empty file, no enabled instance', () => {
  const empty = load('');
  assert.equal(empty.errors, []);
  assert.equal(empty.warnings.map(formatIssue), ['cache-proxy.yaml:1:1: no instances are configured: the proxy would serve nothing (add some under "instances:")']);
  const off = load('instances:\n  - { name: f, enabled: false, file: { route: { path: /f }, upstreams: ["http://a.example"] } }\n');
  assert.equal(off.errors, []);
  assert.equal(off.warnings.map(formatIssue), ['cache-proxy.yaml:2:3: instances: no instance is enabled: the proxy would serve nothing (set "enabled: true" on one)']);
  const on = load('instances:\n  - { name: f, enabled: true, file: { route: { path: /f }, upstreams: ["http://a.example"] } }\n');
  assert.equal(on.warnings, []);
});
test('the printed effective configuration validates again with the same values (units, not milliseconds)', () => {
  const first = load(COMPAT.replace('storage: { gc: { blob: 24h }', 'storage: { max_size: 10GiB, negative_ttl: 90s, gc: { blob: 24h }'), { REGISTRY_PASSWORD: 'pw' });
  assert.equal(first.errors, []);
  const text = printEffective(first.config!);
  assert.match(text, /disk_sample_interval: 15m/);
  assert.match(text, /max_size: 10GiB/);
  assert.match(text, /negative_ttl: 1m30s/);
  assert.not.match(text, /unlimited/);
  assert.not.match(text, /pw|7890/, 'secrets redacted');
  const restored = text.replace(/password: "?\*\*\*"?/, 'password: pw').replace(/proxy: "?\*\*\*"?/, 'proxy: "http://127.0.0.1:7890"');
  const again = load(restored, { REGISTRY_PASSWORD: 'pw' });
  assert.equal(again.errors, []);
  assert.equal(again.config!.server, first.config!.server);
  assert.equal(again.config!.storage, first.config!.storage);
  assert.equal(again.config!.instances.map((i) => i.block), first.config!.instances.map((i) => i.block));
});

test('a key a mode removed is named as removed, with what to do instead', () => {
  assert.equal(errs('instances:\n  - name: d\n    enabled: true\n    deb:\n      route: { path: /d }\n      upstreams: ["http://127.0.0.1:9"]\n      metadata_policy: bypass\n'),
    ['cache-proxy.yaml:7:7: instances[0].deb.metadata_policy: removed key "metadata_policy": metadata is governed by generations; remove the key']);
});

test('a mode block arrives with the schema defaults of the mode, its transport and the engine keys filled in', () => {
  const block = load('instances:\n  - { name: d, enabled: true, deb: { route: { path: /d }, upstreams: ["http://127.0.0.1:9"], transport: { ua: x/1 } } }\n').config!.instances[0]!.block;
  assert.is(block.refresh_interval, '1h');
  assert.is(block.expire_after, '720h');
  assert.is((block.transport as Record<string, unknown>).dial_timeout, '3s');
  assert.is(((block.transport as Record<string, unknown>).health as Record<string, unknown>).trip_rate, 0.3);
});

test('a YAML alias bomb is a config error at its line, not a crash', () => {
  const levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (const [prev, name] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g']]) levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  const text = `metrics: { path: /metrics }\nx-bomb:\n${levels.map((l) => `  ${l}\n`).join('')}instances: []\n`;
  const e = errs(text);
  assert.is(e.length, 1);
  assert.match(e[0]!, /^cache-proxy\.yaml:\d+:\d+: aliases expand to too many nodes/);
  const line = Number(e[0]!.split(':')[1]);
  assert.ok(line >= 3 && line <= 9, `points into the aliases, got line ${line}`);
  // a few aliases stay fine
  assert.equal(errs('instances:\n  - { name: f, enabled: true, file: { route: { path: /f }, upstreams: &up ["http://127.0.0.1:9"] } }\n  - { name: g, enabled: true, file: { route: { path: /g }, upstreams: *up } }\n'), []);
});

test('a mode that demands client tokens without configured ones is warned about', () => {
  const block = 'cargo: { route: { path: /c }, upstream: "http://i.example", auth_required: true }';
  const w = (text: string) => load(text).warnings.map(formatIssue).join('\n');
  assert.match(w(`instances:\n  - { name: c, enabled: true, ${block} }\n`), /any non-empty token is accepted/);
  assert.not.match(w(`instances:\n  - { name: c, enabled: true, access: { tokens: [t] }, ${block} }\n`), /any non-empty token/);
  assert.not.match(w(`server: { access: { tokens: [t] } }\ninstances:\n  - { name: c, enabled: true, ${block} }\n`), /any non-empty token/);
});

test.run();
