import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlugins } from './plugins.js';

const dir = mkdtempSync(join(tmpdir(), 'cache-proxy-plugins-'));
const mode = (name: string, extra = '') => `export default { name: '${name}', contract: 1, mount: 'route', schema: { type: 'object', properties: { upstream: { type: 'string', format: 'url' } } },
  kinds: { thing: { policy: 'immutable' } }, routes: [{ match: { glob: '**' }, kind: 'thing' }], upstreams: (c) => [c.upstream]${extra} };\n`;
mkdirSync(join(dir, 'local'));
writeFileSync(join(dir, 'local', 'index.js'), mode('localmode'));
mkdirSync(join(dir, 'node_modules', 'cache-proxy-mode-esm', 'dist'), { recursive: true });
writeFileSync(join(dir, 'node_modules', 'cache-proxy-mode-esm', 'package.json'), JSON.stringify({ name: 'cache-proxy-mode-esm', type: 'module', exports: { '.': { import: './dist/index.js' } } }));
writeFileSync(join(dir, 'node_modules', 'cache-proxy-mode-esm', 'dist', 'index.js'), `import a from './a.js';\nexport default [a, ${mode('esm_two').replace('export default ', '').replace(/;\n$/, '')}];\n`);
writeFileSync(join(dir, 'node_modules', 'cache-proxy-mode-esm', 'dist', 'a.js'), mode('esm_one'));
writeFileSync(join(dir, 'badkind.js'), mode('badkind').replace("kind: 'thing'", "kind: 'nope'"));
writeFileSync(join(dir, 'taken.js'), mode('file'));

test('local paths and ESM packages (exports-only) load; a default export may be an array', async () => {
  const r = await loadPlugins(['./local', 'cache-proxy-mode-esm'], dir, ['file', 'npm']);
  assert.equal(r.errors, []);
  assert.equal(r.modes.map((m) => m.name), ['localmode', 'esm_one', 'esm_two']);
  assert.ok(Object.isFrozen(r.modes[0]));
});

test('problems name the plugin', async () => {
  const r = await loadPlugins(['./badkind.js', './taken.js', 'cache-proxy-mode-missing', './local', './local'], dir, ['file']);
  assert.equal(r.modes.map((m) => m.name), ['localmode']);
  assert.equal(r.errors, [
    'plugin ./badkind.js: route 0 names unknown kind "nope"',
    'plugin ./taken.js: mode name "file" is already taken by another mode',
    `plugin cache-proxy-mode-missing: cannot be resolved from ${dir} or from the installation's node_modules`,
    'plugin ./local: mode name "localmode" is already taken by another mode',
  ]);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
