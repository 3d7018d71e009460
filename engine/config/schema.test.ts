import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ModeDefinition } from '../mode.js';
import { buildModeBlockSchema, checkModeDefinition, modeValidator, createAjv, sharedAjv, formatProblem, globProblem } from './schema.js';
import { testModes, testFileMode, testOciMode, testNpmMode } from './testmodes.js';

type S = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('file block: own keys + route, expire_after, transport, kind keys, aliases, cumulative rules with checksum fields', () => {
  const s = buildModeBlockSchema(testFileMode) as S;
  assert.is(s.additionalProperties, false);
  assert.equal(s.required.sort(), ['route', 'upstreams']);
  assert.equal(s.properties.route.properties.path, { type: 'string', format: 'mount', description: 'mount path, e.g. /npm' });
  assert.is(s.properties.bind, undefined);
  assert.is(s.properties.expire_after.default, '720h');
  assert.equal(s.properties.transport, { $ref: 'urn:cache-proxy:transport' });
  assert.equal(s.properties.file_policy.enum, ['bypass', 'immutable', 'revalidate']);
  assert.equal(s.properties.file_busy_policy.enum, ['join', 'stale', 'bypass']);
  assert.is(s.properties.file_fresh_for.format, 'freshness');
  assert.is(s.properties.file_expire_after.format, 'expiration');
  assert.is(s.properties.file_policy.default, undefined); // unset = inherit: no defaults on kind keys
  assert.equal(s.properties.default_policy.enum, s.properties.file_policy.enum);
  assert.is(s.properties.fresh_for.format, 'freshness');
  const rule = s.properties.rules.items;
  assert.equal(rule.required, ['match']);
  assert.is(rule.additionalProperties, false);
  assert.equal(Object.keys(rule.properties).sort(), ['busy_policy', 'checksum', 'checksum_required', 'expire_after', 'fresh_for', 'match', 'policy']);
  assert.is(rule.properties.match.format, 'glob');
});

test('oci block: route or bind, kind keys constrained by allow, rules on the tag kind', () => {
  const s = buildModeBlockSchema(testOciMode) as S;
  assert.ok(s.properties.route && s.properties.bind);
  assert.is(s.required, undefined);
  assert.equal(s.properties.manifest_policy.enum, ['bypass', 'immutable']);
  assert.equal(s.properties.blob_policy.enum, ['bypass', 'immutable']);
  assert.equal(s.properties.tag_policy.enum, ['bypass', 'immutable', 'revalidate']);
  for (const k of ['tag', 'manifest', 'blob', 'referrers', 'tags_list']) for (const f of ['policy', 'fresh_for', 'busy_policy', 'expire_after']) assert.ok(s.properties[`${k}_${f}`], `${k}_${f}`);
  assert.equal(s.properties.rules.items.properties.policy.enum, ['bypass', 'immutable', 'revalidate']);
  assert.ok(s.anyOf, 'the own schema\'s upstream-or-registries rule is kept');
  const v = modeValidator(sharedAjv(), testOciMode);
  assert.ok(v({ bind: '127.0.0.1:5000', upstream: 'https://registry.example', default_policy: 'immutable' }));
  assert.not.ok(v({ bind: '127.0.0.1:5000' }));
  assert.not.ok(v({ bind: '127.0.0.1:5000', upstream: 'https://registry.example', manifest_policy: 'revalidate' }));
});

test('opt-outs, keys:false and sharedWith', () => {
  const git: ModeDefinition = {
    name: 'gitlike', contract: 1, mount: 'route', optOut: ['transport', 'expire_after', 'kind_keys'],
    schema: { type: 'object', properties: { upstream: { type: 'string', format: 'url' } } },
    kinds: { pack: { policy: 'bypass' } }, routes: [{ match: { glob: '**' }, kind: 'pack' }], upstreams: () => [],
  };
  const s = buildModeBlockSchema(git) as S;
  assert.equal(Object.keys(s.properties).sort(), ['route', 'upstream']);
  const cargo: ModeDefinition = {
    name: 'cargolike', contract: 1, mount: 'bind', schema: { type: 'object', properties: {} },
    kinds: { index: { policy: 'revalidate' }, config: { policy: 'revalidate', keys: { sharedWith: 'index' } }, meta: { policy: 'revalidate', keys: false } },
    routes: [{ match: { pattern: 'config.json' }, kind: 'config' }, { match: { pattern: 'index/*rest' }, kind: 'index' }], upstreams: () => [],
  };
  const c = buildModeBlockSchema(cargo) as S;
  assert.equal(c.required, ['bind']);
  assert.ok(c.properties.index_policy);
  assert.is(c.properties.config_policy, undefined);
  assert.is(c.properties.meta_policy, undefined);
  assert.equal(checkModeDefinition(cargo, 'cargolike'), []);
  assert.equal(checkModeDefinition(git, 'gitlike'), []);
});

test('the test modes (file, npm, oci, pypi) pass the load checks', () => {
  for (const m of testModes) assert.equal(checkModeDefinition(m, `built-in ${m.name}`), [], m.name);
});

test('load checks name the package and the problem', () => {
  const base = testNpmMode;
  const bad = (patch: Partial<ModeDefinition> | Record<string, unknown>, taken: string[] = []) => checkModeDefinition({ ...base, ...patch } as ModeDefinition, 'plugin cache-proxy-mode-x', taken);
  assert.equal(bad({ contract: 2 }), ['plugin cache-proxy-mode-x: unsupported contract 2 (this cache-proxy supports contract 1)']);
  assert.equal(bad({ name: 'Bad-Name' }), ['plugin cache-proxy-mode-x: mode name "Bad-Name" must match ^[a-z][a-z0-9_]*$']);
  assert.equal(bad({ name: 'enabled' }), ['plugin cache-proxy-mode-x: mode name "enabled" is reserved']);
  assert.equal(bad({}, ['npm']), ['plugin cache-proxy-mode-x: mode name "npm" is already taken by another mode']);
  assert.equal(bad({ routes: [{ match: { glob: '**' }, kind: 'nope' }] }), ['plugin cache-proxy-mode-x: route 0 names unknown kind "nope"']);
  assert.equal(bad({ routes: [{ match: { glob: 'a/[' }, kind: 'metadata' }] }).length, 1);
  assert.match(bad({ routes: [{ match: { glob: 'a/[' }, kind: 'metadata' }] })[0]!, /^plugin cache-proxy-mode-x: route 0: invalid glob "a\/\[": /);
  assert.equal(bad({ routes: [{ match: { pattern: 'a/*rest/b' }, kind: 'metadata' }] }), ['plugin cache-proxy-mode-x: route 0: invalid pattern "a/*rest/b": a *rest segment must be the last']);
  assert.equal(bad({ routes: [{ match: { glob: '**' } }] }), ['plugin cache-proxy-mode-x: route 0 needs a kind, respond or status']);
  assert.match(bad({ schema: { type: 'object', properties: { x: { type: 'string', foo: 1 } } } }).join('\n'), /plugin cache-proxy-mode-x: schema does not compile: strict mode: unknown keyword: "foo"/);
  assert.equal(bad({ schema: { type: 'object', properties: { upstream: { type: 'string' }, tarball_policy: { type: 'string' } } } }),
    ['plugin cache-proxy-mode-x: derived key "tarball_policy" collides with a schema key']);
  assert.equal(bad({ aliases: { metadata_policy: 'tarball_policy' } }), ['plugin cache-proxy-mode-x: derived key "metadata_policy" collides with an alias']);
  assert.equal(bad({ aliases: { old_policy: 'nothing_policy' } }), ['plugin cache-proxy-mode-x: alias "old_policy" targets "nothing_policy", which is not a derived kind key']);
  assert.equal(bad({ schema: { type: 'object', properties: { transport: { type: 'object' } } } }), ['plugin cache-proxy-mode-x: schema key "transport" collides with a key the engine adds']);
  assert.equal(bad({ kinds: { metadata: { policy: 'revalidate', fresh_for: '5' }, tarball: { policy: 'immutable' } } }),
    ['plugin cache-proxy-mode-x: kind "metadata": fresh_for: missing unit (e.g. 5s)']);
  assert.equal(bad({ kinds: { metadata: { policy: 'revalidate', allow: { policy: ['immutable'] } }, tarball: { policy: 'immutable' } } }),
    ['plugin cache-proxy-mode-x: kind "metadata": default policy "revalidate" is not in allow.policy']);
  assert.equal(bad({ rules: { subject: 'path', combine: 'first', kinds: ['nope'], fields: { policy: { type: 'string' } } } }), [
    'plugin cache-proxy-mode-x: rules.kinds names unknown kind "nope"',
    'plugin cache-proxy-mode-x: rules.fields "policy" collides with an engine rule field',
  ]);
  assert.equal(checkModeDefinition(undefined as unknown as ModeDefinition, 'plugin ./local'), ['plugin ./local: the export is not a mode definition object']);
  assert.equal(bad({ upstreams: undefined }), ['plugin cache-proxy-mode-x: upstreams(config) must be a function']);
});

test('formats: value checks shared with the loader', () => {
  const ajv = createAjv();
  const v = ajv.compile({ type: 'object', additionalProperties: false, properties: { d: { type: 'string', format: 'duration' }, g: { type: 'string', format: 'glob' }, u: { type: 'string', format: 'url' }, s: { type: ['integer', 'string'], format: 'size' } } });
  assert.ok(v({ d: '1h30m', g: 'releases/**/*.zip', u: 'https://files.example/x/', s: '1GiB' }));
  assert.ok(v({ s: 1024 }));
  assert.not.ok(v({ d: '30' }));
  assert.not.ok(v({ g: '[' }));
  assert.not.ok(v({ u: 'files.example' }));
  assert.not.ok(v({ s: '1 gigabyte' }));
  assert.is(formatProblem('freshness', '500ms'), 'must be at least 1s');
  assert.is(formatProblem('passheader', 'X-Custom'), null);
  assert.match(formatProblem('passheader', 'Host')!, /never forwarded/);
  assert.match(formatProblem('passheader', 'Transfer-Encoding')!, /never forwarded/);
  assert.is(globProblem('**/*.{zip,tar.gz}'), null);
  assert.ok(globProblem('a/('));
});

test.run();
