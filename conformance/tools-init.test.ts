// `cache-proxy init` (issue 15): the written configuration validates and serves; each instance carries its
// client setup line. The npm registry is found through npm's own configuration (npm_config_registry).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNpmRegistry, startProxy, httpGet, cleanupAll, tmpDir, repoRoot } from './index.js';

const cli = (args: string[], env: NodeJS.ProcessEnv) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
  execFile(process.execPath, [join(repoRoot, 'bin/cache-proxy.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } }, (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr }));
});

test.after(cleanupAll);

test('init writes the machine default with setup comments; it validates, refuses to overwrite, and serves', async () => {
  const reg = await startNpmRegistry();
  try {
    const dir = tmpDir('init-');
    const file = join(dir, 'cache-proxy.yaml');
    const env = { npm_config_registry: `${reg.url}/`, HOME: dir, XDG_CONFIG_HOME: join(dir, '.config') };
    const init = await cli(['init', file], env);
    assert.is(init.code, 0, init.stderr);
    const text = readFileSync(file, 'utf8');
    assert.match(text, `upstream: ${reg.url}\n`);
    assert.match(text, /# npm \(npm\): client setup:\n\s+#\s+npm config set registry http:\/\/127\.0\.0\.1:18080\/npm\//);
    assert.is((await cli(['init', file], env)).code, 1, 'an existing file is kept');
    const valid = await cli(['validate', '-c', file], env);
    assert.is(valid.code, 0, valid.stderr);
    assert.match(valid.stderr, 'configuration is valid');

    // served as written, on a free port and a temporary backend
    const proxy = await startProxy({ config: text.replace('bind: 127.0.0.1:18080', 'bind: "127.0.0.1:${PORT}"\n  backend: "${BACKEND}"') });
    try {
      const doc = await httpGet(`${proxy.url}/npm/fx-cli`, { headers: { accept: 'application/json' } });
      assert.is(doc.status, 200);
      assert.is(doc.headers['x-cache'], 'MISS');
      assert.is((JSON.parse(doc.body.toString()) as { name: string }).name, 'fx-cli');
      assert.is(reg.fx.requests.filter((q) => q.path === '/fx-cli').length, 1);
      // no server.admin.token in the written file: there is no admin endpoint
      const admin = await fetch(`${proxy.url}/-/admin/purge`, { method: 'POST', headers: { authorization: 'Bearer any-token-0123456789' }, body: '{"instance":"npm","glob":"*"}' });
      assert.is(admin.status, 404);
      await admin.arrayBuffer();
    } finally { await proxy.stop(); }
  } finally { await reg.stop(); }
});

test.run();
