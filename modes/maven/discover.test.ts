import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverMaven, mirrorOfSettings } from './discover.js';

const settings = (mirrors: string) => `<?xml version="1.0"?>\n<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0"><mirrors>${mirrors}</mirrors></settings>\n`;
const mirror = (id: string, of: string, url: string) => `<mirror><id>${id}</id><mirrorOf>${of}</mirrorOf><url>${url}</url></mirror>`;

test('a ~/.m2/settings.xml naming a mirror makes the maven instance (read from a temp HOME)', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cp-m2-'));
  try {
    assert.equal(await discoverMaven({ env: { HOME: home } }), [], 'no settings file: no instance');
    mkdirSync(join(home, '.m2'));
    writeFileSync(join(home, '.m2', 'settings.xml'), settings(mirror('corp', '*', ' https://repo.example/maven2/ ')));
    assert.equal(await discoverMaven({ env: { HOME: home } }), [{ name: 'maven', block: { route: { path: '/maven' }, upstream: 'https://repo.example/maven2' } }]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('the mirror of the default repository wins over others; no mirror, no instance', () => {
  assert.is(mirrorOfSettings(settings(mirror('a', 'snapshots', 'https://a.example/m') + mirror('b', 'central,!x', 'https://b.example/m'))), 'https://b.example/m');
  assert.is(mirrorOfSettings(settings(mirror('a', 'snapshots', 'https://a.example/m'))), 'https://a.example/m');
  assert.is(mirrorOfSettings(settings('')), undefined);
  assert.is(mirrorOfSettings(settings(mirror('a', '*', 'file:///srv/m2'))), undefined, 'only http(s) mirrors');
  assert.is(mirrorOfSettings('<settings><mirrors>'), undefined);
});

test.run();
