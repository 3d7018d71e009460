import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptSources, parseOneLine, parseDeb822 } from './apt-sources.js';

test('one-line sources: options, comments, deb-src', () => {
  const s = parseOneLine('# c\ndeb [arch=amd64 signed-by=/k.gpg] http://deb.example/debian/ bookworm main contrib\ndeb-src http://deb.example/debian bookworm main\n\n', 'f');
  assert.equal(s.map((x) => [x.types[0], x.uri, x.suites[0], x.components]), [['deb', 'http://deb.example/debian', 'bookworm', ['main', 'contrib']], ['deb-src', 'http://deb.example/debian', 'bookworm', ['main']]]);
});

test('deb822 sources: several URIs and suites, Enabled: no skipped', () => {
  const s = parseDeb822('Types: deb\nURIs: http://deb.example/debian http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /k.gpg\n\nTypes: deb\nURIs: http://off.example/x\nSuites: a\nEnabled: no\n', 'f');
  assert.equal(s.map((x) => x.uri), ['http://deb.example/debian', 'http://mirror.example/debian']);
  assert.equal(s[0]!.suites, ['bookworm', 'bookworm-updates']);
});

test('a whole /etc/apt tree: sources.list, .list and .sources files; non-http URIs dropped', () => {
  const d = mkdtempSync(join(tmpdir(), 'cp-apt-'));
  mkdirSync(join(d, 'sources.list.d'));
  writeFileSync(join(d, 'sources.list'), 'deb http://a.example/debian bookworm main\ndeb cdrom:[x]/ bookworm main\n');
  writeFileSync(join(d, 'sources.list.d', 'b.list'), 'deb https://b.example/debian bookworm main\n');
  writeFileSync(join(d, 'sources.list.d', 'c.sources'), 'Types: deb\nURIs: http://c.example/debian\nSuites: bookworm\nComponents: main\n');
  writeFileSync(join(d, 'sources.list.d', 'ignored.save'), 'deb http://z.example/ x y\n');
  assert.equal(aptSources(d).map((s) => s.uri), ['http://a.example/debian', 'https://b.example/debian', 'http://c.example/debian']);
  rmSync(d, { recursive: true, force: true });
});

test.run();
