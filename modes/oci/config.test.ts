import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfigText, formatIssue } from '../../engine/config/load.js';
import { builtinModes } from '../index.js';
import { credentialsFor, ociUpstreams } from './config.js';

const errs = (block: string) => loadConfigText(`instances:\n  - name: c\n    enabled: true\n    oci:\n${block}`, { file: 'c.yaml', env: {}, modes: builtinModes }).errors.map(formatIssue);

test('config: route.path only /v2; bind or route; upstream or registries; unique names; auth needs its fields', () => {
  assert.equal(errs('      route: { path: /v2 }\n      upstream: https://r.example\n'), []);
  assert.equal(errs('      bind: 127.0.0.1:5000\n      registries: [{ name: a.example, upstream: https://a.example }]\n'), []);
  assert.match(errs('      route: { path: /registry }\n      upstream: https://r.example\n').join('\n'), /c\.yaml:5:\d+: instances\[0\]\.oci\.route\.path: must be \/v2/);
  assert.match(errs('      upstream: https://r.example\n').join('\n'), /set bind .* or route\.path: \/v2/);
  assert.match(errs('      bind: 127.0.0.1:5000\n').join('\n'), /set upstream .* or registries/);
  assert.match(errs('      bind: 127.0.0.1:5000\n      registries: [{ name: a.example, upstream: https://a.example }, { name: a.example, upstream: https://b.example }]\n').join('\n'), /registries\[1\]\.name: duplicate registry name "a\.example"/);
  assert.match(errs('      bind: 127.0.0.1:5000\n      upstream: https://r.example\n      auth: { type: basic, username: u }\n').join('\n'), /oci\.auth: auth\.type basic needs username and password/);
  assert.match(errs('      bind: 127.0.0.1:5000\n      registries: [{ name: "a:5000", upstream: https://a.example }]\n').join('\n'), /registries\[0\]\.name/);
  assert.match(errs('      bind: 127.0.0.1:5000\n      upstream: https://r.example\n      fresh_for: 1m\n      tag_fresh_for: 2m\n').join('\n'), /"fresh_for" and "tag_fresh_for" set together/);
});

test('credentials belong to the registry entry owning the origin, never a mirror; every origin is allowed', () => {
  const c = { upstream: 'https://r.example', auth: { type: 'bearer', token: 't' }, mirrors: ['https://m.example'], registries: [{ name: 's', upstream: 'https://s.example:8443/', auth: { type: 'basic', username: 'u', password: 'p' } }] };
  assert.equal(credentialsFor(c, 'https://r.example'), { type: 'bearer', username: undefined, password: undefined, token: 't' });
  assert.equal(credentialsFor(c, 'https://s.example:8443'), { type: 'basic', username: 'u', password: 'p', token: undefined });
  assert.is(credentialsFor(c, 'https://m.example'), null);
  assert.equal(ociUpstreams(c).sort(), ['https://m.example', 'https://r.example', 'https://s.example:8443']);
});

test.run();
