import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { rewriteDocument, indexDocument } from './documents.js';
import type { HookContext, Match } from '../../engine/mode.js';
import { stubHookContext } from '../../engine/mode-testing.js';
import { modeBlockWithDefaults } from '../../engine/config/schema.js';
import npm from './index.js';
import { settings } from './settings.js';

const U = 'https://registry.example/npm';
const ctx = (allowed: string[], config: Record<string, unknown> = {}): HookContext & { counted: number } => {
  const block = { upstream: U, tarball_hosts: 'auto', ...config };
  const c = stubHookContext({
    config: block, settings: settings.parse(modeBlockWithDefaults(npm, block)), instance: 'npm',
    targetAllowed: (u: string) => allowed.some((o) => u.startsWith(o + '/')), counted: 0,
    count() { c.counted++; },
  });
  return c;
};
const match = (params: Record<string, string>): Match => ({ method: 'GET', path: '', headers: {}, query: new URLSearchParams(), params, segments: [], trailingSlash: false, config: {} });

// spacing, key order and unknown fields as an upstream might send them
const doc = `{ "name" : "@fx/demo",
  "zzz": {"dist": {"tarball": "https://registry.example/npm/untouched.tgz"}},
  "versions": {
    "1.0.0": { "version": "1.0.0", "dist": { "shasum": "ab", "tarball": "https://registry.example/npm/@fx/demo/-/demo-1.0.0.tgz", "integrity": "sha512-AA==",
      "attestations": { "url": "https://registry.example/-/npm/v1/attestations/@fx%2fdemo@1.0.0" } } },
    "2.0.0": { "dist": { "tarball": "https://other.example/t/demo-2.0.0.tgz" }, "repository": "https://registry.example/npm/repo" }
  } }`;

test('rewrite replaces only allowed tarball and attestation URLs and copies every other byte', async () => {
  const c = ctx(['https://registry.example']);
  const out = (await rewriteDocument({ body: Buffer.from(doc), headers: {}, publicBase: 'http://p:1/npm', match: match({ name: '@fx/demo' }), ctx: c })).body.toString();
  const expected = doc
    .replace('"https://registry.example/npm/@fx/demo/-/demo-1.0.0.tgz"', '"http://p:1/npm/@fx/demo/-/demo-1.0.0.tgz"')
    .replace('"https://registry.example/-/npm/v1/attestations/@fx%2fdemo@1.0.0"', '"http://p:1/npm/-/npm/v1/attestations/@fx/demo@1.0.0"');
  assert.is(out, expected);
  assert.is(c.counted, 1, 'the other origin was counted as skipped');
  const both = ctx(['https://registry.example', 'https://other.example']);
  const out2 = (await rewriteDocument({ body: Buffer.from(doc), headers: {}, publicBase: 'http://p:1/npm', match: match({ name: '@fx/demo' }), ctx: both })).body.toString();
  assert.ok(out2.includes('"http://p:1/npm/@fx/demo/-/demo-2.0.0.tgz"'));
});

test('a version document takes its version from the top-level field, wherever it sits', async () => {
  const v = '{"dist":{"tarball":"https://registry.example/npm/fx/-/fx-3.1.0.tgz"},"name":"fx","version":"3.1.0"}';
  const out = (await rewriteDocument({ body: Buffer.from(v), headers: {}, publicBase: 'http://p/npm', match: match({ name: 'fx', version: 'latest' }), ctx: ctx(['https://registry.example']) })).body.toString();
  assert.is(out, '{"dist":{"tarball":"http://p/npm/fx/-/fx-3.1.0.tgz"},"name":"fx","version":"3.1.0"}');
});

test('index: pins per version, learned origins, name and version checks', async () => {
  const r = await indexDocument({ body: Readable.from([Buffer.from(doc.slice(0, 50)), Buffer.from(doc.slice(50))]), headers: {}, match: match({ name: '@fx/demo' }), ctx: ctx([]) });
  assert.equal(r.pins, [{ group: '@fx/demo', entries: { '1.0.0': { shasum: 'ab', tarball: 'https://registry.example/npm/@fx/demo/-/demo-1.0.0.tgz', integrity: 'sha512-AA==' }, '2.0.0': { tarball: 'https://other.example/t/demo-2.0.0.tgz' } } }]);
  assert.equal(r.targets, ['https://other.example/t/demo-2.0.0.tgz']);
  const listed = await indexDocument({ body: Readable.from([Buffer.from(doc)]), headers: {}, match: match({ name: '@fx/demo' }), ctx: ctx([], { tarball_hosts: [] }) });
  assert.equal(listed.targets, [], 'a host list disables learning');
  let err = '';
  try { await indexDocument({ body: Readable.from([Buffer.from(doc)]), headers: {}, match: match({ name: 'fx-other' }), ctx: ctx([]) }); } catch (e) { err = (e as Error).message; }
  assert.match(err, /names "@fx\/demo", not the requested package fx-other/);
  err = '';
  try { await indexDocument({ body: Readable.from([Buffer.from('{"name":"fx","version":"1.0.1"}')]), headers: {}, match: match({ name: 'fx', version: '1.0.0' }), ctx: ctx([]) }); } catch (e) { err = (e as Error).message; }
  assert.match(err, /version "1.0.1", not the requested fx@1.0.0/);
  err = '';
  try { await indexDocument({ body: Readable.from([Buffer.from('<!doctype html>')]), headers: {}, match: match({ name: 'fx' }), ctx: ctx([]) }); } catch (e) { err = (e as Error).message; }
  assert.match(err, /not a JSON object/);
});

test.run();
