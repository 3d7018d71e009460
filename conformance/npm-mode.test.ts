// npm mode over HTTP (modes/npm.md §2–§4, §6 N8–N12): Accept classes, public URL and forwarded headers,
// other tarball origins, read-only answers, HEAD/GET agreement, document validation, unknown digests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { startNpmRegistry, startNpmProxy, httpGet, curl, cleanupAll, type NpmRegistry } from './index.js';

let reg: NpmRegistry;
const INSTALL_V1 = 'application/vnd.npm.install-v1+json';
const tarballsOf = (doc: string) => [...doc.matchAll(/"tarball":"([^"]+)"/g)].map((x) => x[1]!);
const metric = async (url: string, re: RegExp) => Number(re.exec((await httpGet(`${url}/metrics`)).body.toString())?.[1] ?? 0);

test.before(async () => { reg = await startNpmRegistry(); });

test('N8 Accept classes: abbreviated vs full, one upstream GET each with the canonical Accept, then HIT; Vary: Accept; %2f ≡ /', async () => {
  const { proxy, R } = await startNpmProxy({ upstream: reg.url, npm: '      metadata_fresh_for: 10m' });
  const a = await httpGet(`${R}/@fx%2fdemo`, { headers: { accept: INSTALL_V1 } });
  const f = await httpGet(`${R}/@fx/demo`);
  assert.is(a.status, 200); assert.is(f.status, 200);
  const ab = JSON.parse(a.body.toString()), fb = JSON.parse(f.body.toString());
  assert.ok(ab.modified && ab.readme === undefined, 'abbreviated');
  assert.ok(fb.readme && fb.time, 'full');
  assert.is(a.headers.vary, 'Accept');
  assert.is(a.headers['content-type'], INSTALL_V1);
  const ups = reg.fx.requests.filter((r) => r.path === '/@fx%2fdemo');
  assert.equal(ups.map((r) => r.headers.accept), [`${INSTALL_V1}; q=1.0, application/json; q=0.8, */*`, 'application/json']);
  const a2 = await httpGet(`${R}/@fx/demo`, { headers: { accept: `${INSTALL_V1}; q=1.0, application/json; q=0.8, */*` } });
  const f2 = await httpGet(`${R}/@fx%2Fdemo`, { headers: { accept: 'application/json' } });
  assert.is(a2.headers['x-cache'], 'FRESH'); assert.is(f2.headers['x-cache'], 'FRESH');
  assert.ok(a2.body.equals(a.body)); assert.ok(f2.body.equals(f.body));
  assert.is(reg.fx.requests.filter((r) => r.path === '/@fx%2fdemo').length, 2);
  await proxy.stop();
});

test('N9 public URL: rewritten tarballs start with server.public_url + mount; X-Forwarded-Host is ignored unless trusted', async () => {
  const { proxy, R } = await startNpmProxy({ upstream: reg.url, server: '  public_url: https://cache.example/base' });
  const r = await httpGet(`${R}/@fx/demo`, { headers: { 'x-forwarded-host': 'evil.example' } });
  const urls = tarballsOf(r.body.toString());
  assert.is(urls.length, 3);
  for (const u of urls) assert.ok(u.startsWith('https://cache.example/base/npm/@fx/demo/-/demo-'), u);
  await proxy.stop();
  const plain = await startNpmProxy({ upstream: reg.url });
  const u1 = tarballsOf((await httpGet(`${plain.R}/fx-cli`, { headers: { 'x-forwarded-host': 'evil.example' } })).body.toString());
  assert.equal(u1, [`${plain.R}/fx-cli/-/fx-cli-1.0.0.tgz`]);
  await plain.proxy.stop();
  const trusted = await startNpmProxy({ upstream: reg.url, server: '  trust_forwarded: true' });
  const u2 = tarballsOf((await httpGet(`${trusted.R}/fx-cli`, { headers: { 'x-forwarded-host': 'cache.example', 'x-forwarded-proto': 'https' } })).body.toString());
  assert.equal(u2, ['https://cache.example/npm/fx-cli/-/fx-cli-1.0.0.tgz']);
  await trusted.proxy.stop();
});

test('N10 another tarball origin: learned (tarball_hosts auto) and fetched through the proxy; with tarball_hosts: [] left pointing at T2', async () => {
  const auto = await startNpmProxy({ upstream: reg.url });
  const doc = (await httpGet(`${auto.R}/fx-t2`)).body.toString();
  assert.equal(tarballsOf(doc), [`${auto.R}/fx-t2/-/fx-t2-1.0.0.tgz`]);
  const before = reg.t2.count('GET', '/files/fx-t2-1.0.0.tgz');
  const t = await httpGet(`${auto.R}/fx-t2/-/fx-t2-1.0.0.tgz`);
  assert.is(t.status, 200);
  assert.is(reg.t2.count('GET', '/files/fx-t2-1.0.0.tgz'), before + 1, 'fetched from T2 at the recorded URL');
  assert.ok(t.body.equals(reg.data.tarballs.get('fx-t2/-/fx-t2-1.0.0.tgz')!));
  await auto.proxy.stop();
  const none = await startNpmProxy({ upstream: reg.url, npm: '      tarball_hosts: []' });
  const doc2 = (await httpGet(`${none.R}/fx-t2`)).body.toString();
  assert.equal(tarballsOf(doc2), [`${reg.t2.url}/files/fx-t2-1.0.0.tgz`]);
  assert.ok(await metric(none.proxy.url, /^cache_proxy_rewrite_skipped_total\{instance="npm"\} (\d+)/m) >= 1);
  const refused = await httpGet(`${none.R}/fx-t2/-/fx-t2-1.0.0.tgz`);
  assert.is(refused.status, 403, 'the recorded T2 target is not allowed without learning');
  await none.proxy.stop();
});

test('N11 writes and account calls: 405 Allow: GET, HEAD with JSON for publish/unpublish/dist-tag/audit, 404 JSON for whoami; the fixture receives nothing', async () => {
  const { proxy, R } = await startNpmProxy({ upstream: reg.url });
  const n = reg.fx.requests.length;
  for (const [method, path] of [['PUT', '/fx-cli'], ['DELETE', '/fx-cli/-rev/1-abc'], ['PUT', '/-/package/fx-cli/dist-tags/beta'], ['POST', '/-/npm/v1/security/advisories/bulk'], ['POST', '/-/npm/v1/security/audits/quick'], ['PUT', '/-/user/org.couchdb.user:me']]) {
    const r = await fetch(`${R}${path}`, { method, body: '{}', headers: { 'content-type': 'application/json' } });
    assert.is(r.status, 405, `${method} ${path}`);
    assert.is(r.headers.get('allow'), 'GET, HEAD');
    assert.match(String((await r.json() as { error: string }).error), /read-only caching proxy/);
  }
  const who = await httpGet(`${R}/-/whoami`);
  assert.is(who.status, 404);
  assert.match(JSON.parse(who.body.toString()).error, /read-only/);
  const bad = await httpGet(`${R}/_private`);
  assert.is(bad.status, 404);
  assert.equal(JSON.parse(bad.body.toString()), { error: 'not found' });
  assert.is(reg.fx.requests.length, n, 'nothing reached the upstream');
  await proxy.stop();
});

test('audit_passthrough: the two advisory endpoints are POSTed upstream byte for byte and answered uncached; other writes stay 405', async () => {
  const { proxy, R } = await startNpmProxy({ upstream: reg.url, npm: '      audit_passthrough: true' });
  const advisories = JSON.stringify({ 'fx-cli': ['1.0.0'], '@fx/demo': ['1.1.0'] });
  for (const path of ['/-/npm/v1/security/advisories/bulk', '/-/npm/v1/security/audits/quick']) {
    const answer = Buffer.from(JSON.stringify({ path, advisories: {} }));
    reg.fx.set(path, { headers: { 'content-type': 'application/json' }, body: answer });
    for (let i = 0; i < 2; i++) {
      const before = reg.fx.requests.length;
      const r = await fetch(`${R}${path}`, { method: 'POST', body: advisories, headers: { 'content-type': 'application/json', authorization: 'Bearer client-secret' } });
      assert.is(r.status, 200, path);
      assert.is(r.headers.get('x-cache'), 'BYPASS');
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(answer), 'the upstream answer, as is');
      const seen = reg.fx.requests.slice(before);
      assert.is(seen.length, 1, 'one upstream POST per client POST: never cached');
      assert.is(seen[0]!.method, 'POST');
      assert.is(seen[0]!.body?.toString(), advisories, 'the body, byte for byte');
      assert.is(seen[0]!.headers.authorization, undefined, 'the client credentials stay behind');
    }
  }
  const big = await fetch(`${R}/-/npm/v1/security/advisories/bulk`, { method: 'POST', body: Buffer.alloc(11 * 1024 * 1024, 32), headers: { 'content-type': 'application/json' } }).catch(() => null);
  assert.ok(big === null || big.status === 413, 'a body over 10 MiB is refused');
  const publish = await fetch(`${R}/fx-cli`, { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } });
  assert.is(publish.status, 405);
  await proxy.stop();
});

test('N12 HEAD and GET agree: same Content-Length and weak ETag ≠ upstream; If-None-Match → 304; stored bytes are the upstream bytes', async () => {
  const { proxy, R } = await startNpmProxy({ upstream: reg.url });
  const head = await curl(['-sI', `${R}/@fx/demo`]);
  const get = await httpGet(`${R}/@fx/demo`);
  const len = /content-length: (\d+)/i.exec(head.stdout)?.[1];
  const etag = /etag: (\S+)/i.exec(head.stdout)?.[1];
  assert.is(Number(len), get.body.length);
  assert.is(etag, get.headers.etag);
  assert.match(String(etag), /^W\//);
  const up = await httpGet(`${reg.url}/@fx%2fdemo`);
  assert.is.not(up.headers.etag, etag);
  const cond = await httpGet(`${R}/@fx/demo`, { headers: { 'if-none-match': String(etag) } });
  assert.is(cond.status, 304);
  // the upstream document, rewritten: only the tarball strings differ
  const stripped = (b: string) => b.replace(/"tarball":"[^"]+"/g, '"tarball":""');
  assert.is(stripped(get.body.toString()), stripped(up.body.toString()));
  const stored = createHash('sha256').update(up.body).digest('hex');
  assert.ok(await httpGet(`${proxy.url}/-/status/summary`).then((r) => r.status === 200));
  const { readdirSync, existsSync } = await import('node:fs');
  const blobDir = `${proxy.backend}/blobs/sha256/${stored.slice(0, 2)}`;
  assert.ok(existsSync(blobDir) && readdirSync(blobDir).includes(stored), 'the stored blob is the upstream body');
  await proxy.stop();
});

test('documents are validated before commit; version documents and dist-tags; an unknown digest is served BYPASS and not stored; 404 is negatively cached', async () => {
  const { proxy, R } = await startNpmProxy({ upstream: reg.url });
  reg.fx.set('/fx-html', { body: '<html>maintenance</html>', headers: { 'content-type': 'text/html' } });
  const html = await httpGet(`${R}/fx-html`);
  assert.is(html.status, 502);
  assert.match(html.body.toString(), /invalid JSON|not a JSON object/);
  reg.fx.set('/fx-wrong', { body: JSON.stringify({ name: 'fx-other', versions: {} }), headers: { 'content-type': 'application/json' } });
  const wrong = await httpGet(`${R}/fx-wrong`);
  assert.is(wrong.status, 502);
  assert.match(wrong.body.toString(), /names "fx-other", not the requested package fx-wrong; nothing was cached/);
  assert.is((await httpGet(`${R}/fx-wrong`)).status, 502, 'not stored: asked again');
  assert.is(reg.fx.count('GET', '/fx-wrong'), 2);
  assert.ok(await metric(proxy.url, /^cache_proxy_verify_failures_total\{instance="npm",kind="metadata"\} (\d+)/m) >= 3);

  const v = await httpGet(`${R}/fx-multi/latest`);
  assert.is(v.status, 200);
  const vd = JSON.parse(v.body.toString());
  assert.is(vd.version, '2.0.0');
  assert.is(vd.dist.tarball, `${R}/fx-multi/-/fx-multi-2.0.0.tgz`);
  const tags = await httpGet(`${R}/-/package/@fx%2fdemo/dist-tags`);
  assert.equal(JSON.parse(tags.body.toString()), { latest: '1.1.0', beta: '2.0.0-beta.1', legacy: '1.0.0' });

  // a version no document lists: served, not stored, counted
  const extra = Buffer.from('not really a tarball');
  reg.fx.set('/fx-cli/-/fx-cli-9.9.9.tgz', { body: extra });
  const u1 = await httpGet(`${R}/fx-cli/-/fx-cli-9.9.9.tgz`);
  assert.is(u1.status, 200); assert.is(u1.headers['x-cache'], 'BYPASS'); assert.ok(u1.body.equals(extra));
  const u2 = await httpGet(`${R}/fx-cli/-/fx-cli-9.9.9.tgz`);
  assert.is(u2.headers['x-cache'], 'BYPASS');
  assert.is(reg.fx.count('GET', '/fx-cli/-/fx-cli-9.9.9.tgz'), 2);
  assert.ok(await metric(proxy.url, /^cache_proxy_verify_skipped_total\{instance="npm",kind="tarball"\} (\d+)/m) >= 2);

  for (let i = 0; i < 3; i++) assert.is((await httpGet(`${R}/fx-missing-optional`)).status, 404);
  assert.is(reg.fx.count('GET', '/fx-missing-optional'), 1, 'negative cache');
  await proxy.stop();
});

test('a full disk: packuments are still answered, rewritten, from the upstream (not stored: BYPASS), tarballs too', async () => {
  const { proxy, R } = await startNpmProxy({ upstream: reg.url, env: { CACHE_PROXY_FAULT_ENOSPC_AFTER: '0' } });
  const before = reg.fx.requests.filter((r) => r.path === '/@fx%2fdemo').length;
  for (const accept of ['application/json', INSTALL_V1, 'application/json']) {
    const r = await httpGet(`${R}/@fx/demo`, { headers: { accept } });
    assert.is(r.status, 200, `${accept}: ${r.body.toString().slice(0, 200)}`);
    const urls = tarballsOf(r.body.toString());
    assert.is(urls.length, 3);
    for (const u of urls) assert.ok(u.startsWith(`${R}/@fx/demo/-/demo-`), u);
  }
  assert.is(reg.fx.requests.filter((r) => r.path === '/@fx%2fdemo').length - before, 3, 'nothing stored: each request went upstream');
  const doc = JSON.parse((await httpGet(`${R}/@fx/demo`)).body.toString()) as { versions: Record<string, { dist: { tarball: string; integrity: string } }> };
  const v = Object.values(doc.versions)[0]!;
  const t = await httpGet(v.dist.tarball);
  assert.is(t.status, 200);
  assert.is(`sha512-${createHash('sha512').update(t.body).digest('base64')}`, v.dist.integrity);
  await proxy.stop();
});

test.after(cleanupAll);
test.run();
