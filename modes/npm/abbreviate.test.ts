import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { abbreviatePackument } from './abbreviate.js';
import { packageRoot } from '../../engine/paths.js';

const docs = join(packageRoot, 'conformance/fixtures/npm/registry/docs');
const read = (f: string) => readFileSync(join(docs, f));

test('the full fixture packuments abbreviate to the registry-made abbreviated ones', () => {
  for (const name of ['%40fx%2Fdemo', 'fx-cli', 'fx-ansi']) {
    const got = JSON.parse(abbreviatePackument(read(`${name}.json`)).toString()) as Record<string, Record<string, Record<string, unknown>>>;
    const want = JSON.parse(read(`${name}.install-v1.json`).toString()) as Record<string, Record<string, Record<string, unknown>>>;
    assert.equal(Object.keys(got).sort(), ['dist-tags', 'modified', 'name', 'versions']);
    assert.is(got.modified, want.modified);
    assert.equal(got['dist-tags'], want['dist-tags']);
    assert.equal(Object.keys(got.versions!), Object.keys(want.versions!));
    for (const [v, doc] of Object.entries(want.versions!)) {
      const { _hasShrinkwrap, ...rest } = got.versions![v]!;
      assert.is(_hasShrinkwrap, false);
      assert.equal(rest, doc, `${name} ${v}`);
    }
  }
});

test('fields the abbreviated form leaves out are dropped; install scripts become hasInstallScript', () => {
  const full = {
    _id: 'p', _rev: '1-a', name: 'p', description: 'd', readme: 'long', 'dist-tags': { latest: '1.0.0' }, time: { modified: '2024-01-01T00:00:00.000Z', '1.0.0': '2023-01-01T00:00:00.000Z' },
    versions: {
      '1.0.0': { name: 'p', version: '1.0.0', main: 'i.js', scripts: { install: 'node-gyp rebuild', test: 'x' }, _npmUser: { name: 'u' }, deprecated: 'old', engines: { node: '>=18' }, os: ['linux'], peerDependenciesMeta: { q: { optional: true } }, dist: { tarball: 'https://registry.example/p/-/p-1.0.0.tgz', integrity: 'sha512-x' } },
    },
  };
  const got = JSON.parse(abbreviatePackument(Buffer.from(JSON.stringify(full))).toString()) as unknown;
  assert.equal(got, {
    name: 'p', modified: '2024-01-01T00:00:00.000Z', 'dist-tags': { latest: '1.0.0' },
    versions: { '1.0.0': { name: 'p', version: '1.0.0', deprecated: 'old', peerDependenciesMeta: { q: { optional: true } }, dist: full.versions['1.0.0'].dist, engines: { node: '>=18' }, os: ['linux'], hasInstallScript: true } },
  });
});

test('a body that is not a full packument cannot be abbreviated', () => {
  assert.throws(() => abbreviatePackument(Buffer.from('not json')));
  assert.throws(() => abbreviatePackument(Buffer.from('{"name":"p"}')));
  assert.throws(() => abbreviatePackument(Buffer.from('[1]')));
});

test.run();
