// The example mode of docs/writing-a-mode.md (conformance/example-mode/index.ts), loaded as a plugin:
// a file is verified against the pin its package's index recorded, stored once, and refused when tampered.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, startProxy, httpGet, cleanupAll, repoRoot, type FixtureServer } from './index.js';

const sha256 = (b: string) => createHash('sha256').update(b).digest('hex');
const exampleMode = join(repoRoot, 'dist/conformance/example-mode/index.js');

/** an upstream with package `demo`: its index lists good.bin and tampered.bin; tampered.bin's bytes differ */
async function upstream(): Promise<FixtureServer> {
  const up = await startFixtureServer();
  up.set('/demo/index.json', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ files: { 'good.bin': { sha256: sha256('good bytes') }, 'tampered.bin': { sha256: sha256('published bytes') } } }),
  });
  up.set('/demo/files/good.bin', { body: 'good bytes' });
  up.set('/demo/files/tampered.bin', { body: 'other bytes' });
  up.set('/demo/files/unlisted.bin', { body: 'unlisted bytes' });
  return up;
}

const proxyFor = (up: FixtureServer) => startProxy({
  config: `server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
plugins: ["${exampleMode}"]
instances:
  - { name: ex, enabled: true, checked: { route: { path: /ex }, upstream: "${up.url}" } }
`,
});

/** every stored blob's sha256 (the store is content-addressed: blobs/sha256/<first two hex>/<hex>) */
function storedBlobs(backend: string): string[] {
  const root = join(backend, 'blobs', 'sha256');
  return existsSync(root) ? readdirSync(root).flatMap((d) => readdirSync(join(root, d))) : [];
}

test('a file is verified against its index pin and stored: the second request is a HIT, one upstream GET', async () => {
  const up = await upstream();
  const proxy = await proxyFor(up);
  const first = await httpGet(`${proxy.url}/ex/demo/files/good.bin`);
  assert.is(first.status, 200);
  assert.is(first.body.toString(), 'good bytes');
  assert.is(first.headers['x-cache'], 'MISS');
  assert.is(up.count('GET', '/demo/index.json'), 1, 'the pin was learned through the index');
  const second = await httpGet(`${proxy.url}/ex/demo/files/good.bin`);
  assert.is(second.status, 200);
  assert.is(second.body.toString(), 'good bytes');
  assert.is(second.headers['x-cache'], 'HIT');
  assert.is(up.count('GET', '/demo/files/good.bin'), 1);
  assert.ok(storedBlobs(proxy.backend).includes(sha256('good bytes')), 'the verified body is stored');
  await proxy.stop();
});

test('a tampered file (bytes that do not hash to the pin) → 502, nothing stored', async () => {
  const up = await upstream();
  const proxy = await proxyFor(up);
  const r = await httpGet(`${proxy.url}/ex/demo/files/tampered.bin`);
  assert.is(r.status, 502);
  assert.not.ok(storedBlobs(proxy.backend).includes(sha256('other bytes')), 'the tampered body is not stored');
  assert.is((await httpGet(`${proxy.url}/ex/demo/files/tampered.bin`)).status, 502, 'not stored: asked again');
  assert.is(up.count('GET', '/demo/files/tampered.bin'), 2);
  await proxy.stop();
});

test('a file its index does not list is served but not stored (BYPASS): nothing to verify it against', async () => {
  const up = await upstream();
  const proxy = await proxyFor(up);
  for (let i = 0; i < 2; i++) {
    const r = await httpGet(`${proxy.url}/ex/demo/files/unlisted.bin`);
    assert.is(r.status, 200);
    assert.is(r.body.toString(), 'unlisted bytes');
    assert.is(r.headers['x-cache'], 'BYPASS');
  }
  assert.is(up.count('GET', '/demo/files/unlisted.bin'), 2);
  assert.is(up.count('GET', '/demo/index.json'), 1, 'the index is fresh in the cache: looked up again, not refetched');
  assert.not.ok(storedBlobs(proxy.backend).includes(sha256('unlisted bytes')));
  await proxy.stop();
});

test.after(cleanupAll);
test.run();
