import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverNpm } from './discover.js';

/** a machine of its own: temp HOME, project dir and global config; none of this machine's npm settings */
function machine(files: { user?: string; global?: string; project?: string }, env: NodeJS.ProcessEnv = {}) {
  const d = mkdtempSync(join(tmpdir(), 'cp-npmrc-'));
  const home = join(d, 'home'), project = join(d, 'project');
  mkdirSync(home); mkdirSync(project);
  if (files.user !== undefined) writeFileSync(join(home, '.npmrc'), files.user);
  if (files.project !== undefined) writeFileSync(join(project, '.npmrc'), files.project);
  writeFileSync(join(d, 'global-npmrc'), files.global ?? '');
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)));
  return {
    env: { ...base, HOME: home, NPM_CONFIG_GLOBALCONFIG: join(d, 'global-npmrc'), NPM_CONFIG_USERCONFIG: join(home, '.npmrc'), ...env },
    cwd: project,
    done: () => rmSync(d, { recursive: true, force: true }),
  };
}

const upstreamOf = (found: { block: Record<string, unknown> }[]) => found.map((f) => f.block.upstream);

for (const [how, npm] of [['npm on PATH', 'npm'], ['the config files (no npm)', null]] as const) {
  test(`${how}: a registry set only in npm's global config makes the npm instance`, async () => {
    const m = machine({ global: '; global\nregistry = "http://registry.example/npm/"\n' });
    try {
      const found = await discoverNpm({ env: m.env, cwd: m.cwd, npm });
      assert.equal(found, [{ name: 'npm', block: { route: { path: '/npm' }, upstream: 'http://registry.example/npm' } }]);
    } finally { m.done(); }
  });

  test(`${how}: user config over global config, env over both`, async () => {
    const m = machine({ global: 'registry=http://global.example/\n', user: 'registry=https://user.example/r/\n' });
    const e = machine({ global: 'registry=http://global.example/\n', user: 'registry=https://user.example/r/\n' }, { npm_config_registry: 'http://env.example/' });
    try {
      assert.equal(upstreamOf(await discoverNpm({ env: m.env, cwd: m.cwd, npm })), ['https://user.example/r']);
      assert.equal(upstreamOf(await discoverNpm({ env: e.env, cwd: e.cwd, npm })), ['http://env.example']);
    } finally { m.done(); e.done(); }
  });
}

test('a registry that is not http(s) makes no instance (files only: npm itself would answer its default)', async () => {
  const m = machine({ user: 'registry=file:///srv/npm\n' });
  try {
    assert.equal(await discoverNpm({ env: m.env, cwd: m.cwd, npm: null }), []);
  } finally { m.done(); }
});

test('an npm that is missing falls back to the config files', async () => {
  const m = machine({ global: 'registry=http://registry.example/npm\n' });
  try {
    assert.equal(upstreamOf(await discoverNpm({ env: m.env, cwd: m.cwd, npm: join(m.cwd, 'no-such-npm') })), ['http://registry.example/npm']);
  } finally { m.done(); }
});

test.run();
