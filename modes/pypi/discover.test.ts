import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverPypi, indexUrlOfPipConf, upstreamOfIndexUrl } from './discover.js';

/** a machine of its own: temp HOME and global config; none of this machine's pip settings */
function machine(files: { user?: string; global?: string; custom?: string }, env: NodeJS.ProcessEnv = {}) {
  const d = mkdtempSync(join(tmpdir(), 'cp-pipconf-'));
  const home = join(d, 'home');
  mkdirSync(join(home, '.config', 'pip'), { recursive: true });
  if (files.user !== undefined) writeFileSync(join(home, '.config', 'pip', 'pip.conf'), files.user);
  writeFileSync(join(d, 'global.conf'), files.global ?? '');
  if (files.custom !== undefined) writeFileSync(join(d, 'custom.conf'), files.custom);
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^PIP_|^VIRTUAL_ENV$|^XDG_CONFIG_HOME$/.test(k)));
  return {
    o: { env: { ...base, HOME: home, ...(files.custom !== undefined ? { PIP_CONFIG_FILE: join(d, 'custom.conf') } : {}), ...env }, home, globalFiles: [join(d, 'global.conf')] },
    done: () => rmSync(d, { recursive: true, force: true }),
  };
}

const upstreams = (found: { block: Record<string, unknown> }[]) => found.map((f) => f.block.upstream);

test('pip config text: index-url of [global], else [install]; both separators; comments', () => {
  assert.is(indexUrlOfPipConf('[global]\n# c\nindex-url = https://index.example/simple\n'), 'https://index.example/simple');
  assert.is(indexUrlOfPipConf('[install]\nindex_url: https://index.example/pypi/simple/\n'), 'https://index.example/pypi/simple/');
  assert.is(indexUrlOfPipConf('[global]\nextra-index-url = file:///opt/pypi/simple\nfind-links = /opt/wheels\n'), undefined);
  assert.is(upstreamOfIndexUrl('https://index.example/pypi/simple/'), 'https://index.example/pypi');
  assert.is(upstreamOfIndexUrl('http://index.example/simple'), 'http://index.example');
  assert.is(upstreamOfIndexUrl('file:///opt/pypi/simple'), null, 'a directory is not an http index');
  assert.is(upstreamOfIndexUrl('https://index.example/root/+simple/'), null, 'pages not under /simple/');
});

test('a user pip.conf index makes the pypi instance; PIP_CONFIG_FILE and PIP_INDEX_URL override it', async () => {
  const m = machine({ global: '[global]\nindex-url = https://global.example/simple\n', user: '[global]\nindex-url = https://user.example/simple/\n' });
  try {
    assert.equal(await discoverPypi(m.o), [{ name: 'pypi', block: { route: { path: '/pypi' }, upstream: 'https://user.example' } }]);
    assert.equal(upstreams(await discoverPypi({ ...m.o, env: { ...m.o.env, PIP_INDEX_URL: 'https://env.example/pypi/simple' } })), ['https://env.example/pypi']);
  } finally { m.done(); }
  const c = machine({ user: '[global]\nindex-url = https://user.example/simple/\n', custom: '[global]\nindex-url = https://custom.example/simple\n' });
  try { assert.equal(upstreams(await discoverPypi(c.o)), ['https://custom.example']); } finally { c.done(); }
});

test("no instance without an http index: pip's default, or only file:// extra indexes and find-links", async () => {
  const m = machine({ user: '[global]\nfind-links = /opt/wheels\nextra-index-url = file:///opt/pypi/simple file:///opt/pypi-more/simple\n' });
  try {
    assert.equal(await discoverPypi(m.o), []);
    assert.equal(await discoverPypi({ ...m.o, env: { ...m.o.env, PIP_INDEX_URL: 'file:///opt/pypi/simple' } }), []);
  } finally { m.done(); }
});

test.run();
