import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cargo from './index.js';
import { discoverCargo } from './discover.js';

test('the setup line, run in a shell, writes the source replacement that discovery reads back', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cargo-snippet-'));
  try {
    mkdirSync(join(home, '.cargo'));
    const line = cargo.hooks.snippet('http://127.0.0.1:18080/cargo');
    assert.not.match(line, /\n/, 'one line');
    execFileSync('sh', ['-c', line], { env: { ...process.env, HOME: home } });
    assert.equal(await discoverCargo({ env: { HOME: home } }), [{ name: 'cargo', block: { route: { path: '/cargo' }, upstream: 'http://127.0.0.1:18080/cargo' } }]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
