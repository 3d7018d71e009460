import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverCargo, sparseReplacementOf } from './discover.js';

const replaced = (registry: string) => `[source.crates-io]\nreplace-with = "mirror"\n\n[source.mirror]\nregistry = "${registry}"\n`;

test('a sparse registry replacing crates-io is found; anything else is not', () => {
  assert.is(sparseReplacementOf(replaced('sparse+http://r.example/index/')), 'sparse+http://r.example/index/');
  assert.is(sparseReplacementOf(replaced('https://r.example/git-index')), undefined, 'git index');
  assert.is(sparseReplacementOf('[source.mirror]\nregistry = "sparse+http://r.example/"\n'), undefined, 'not replacing crates-io');
  assert.is(sparseReplacementOf('[source.crates-io]\nreplace-with = "gone"\n'), undefined);
  assert.is(sparseReplacementOf('[broken'), undefined);
  const inline = `# cargo config\n[source."crates-io"]\nreplace-with = 'mirror' # trailing\n[source]\nmirror = { registry = "sparse+http://r.example/i/" }\n`;
  assert.is(sparseReplacementOf(inline), 'sparse+http://r.example/i/', 'quoted keys, inline tables, literal strings');
});

test('CARGO_HOME/config.toml is read at run time, then `config`; the instance names the registry root', async () => {
  const home = await mkdtemp(join(tmpdir(), 'cargo-discover-'));
  try {
    assert.equal(await discoverCargo({ env: { CARGO_HOME: home } }), []);
    await writeFile(join(home, 'config'), replaced('sparse+http://old.example/index/'));
    assert.equal(await discoverCargo({ env: { CARGO_HOME: home } }), [{ name: 'cargo', block: { route: { path: '/cargo' }, upstream: 'http://old.example/index' } }]);
    await writeFile(join(home, 'config.toml'), replaced('sparse+http://r.example/index/'));
    assert.equal(await discoverCargo({ env: { CARGO_HOME: home } }), [{ name: 'cargo', block: { route: { path: '/cargo' }, upstream: 'http://r.example/index' } }]);
    assert.equal(await discoverCargo({ env: { HOME: join(home, 'nowhere') } }), [], '~/.cargo without a config');
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test.run();
