// pypi mode over HTTP, without pip: Accept classes, normalisation, the HTML and JSON rewrites, companions,
// the legacy forms, the SSRF guard, verification and page validation, against the fixture index.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { startPypiIndex, startPypiProxy, metricValue, httpGet, cleanupAll, startFixtureServer, type PypiIndex } from './index.js';

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
const PIP_ACCEPT = `${JSON_TYPE}, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01`;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const WHEEL = 'demo_lib-1.0-py3-none-any.whl';
let ix: PypiIndex;

test.before(async () => { ix = await startPypiIndex(); });
test.after(async () => { await cleanupAll(); });

test('JSON and HTML classes: each its own representation, canonical Accept upstream, Vary: Accept; FRESH after', async () => {
  const { proxy, I } = await startPypiProxy({ upstream: ix.url, pypi: '      index_fresh_for: 10m' });
  const j = await httpGet(`${I}/demo-lib/`, { headers: { accept: PIP_ACCEPT } });
  const h = await httpGet(`${I}/demo-lib/`);
  assert.is(j.status, 200); assert.is(h.status, 200);
  assert.is(j.headers['content-type'], JSON_TYPE);
  assert.match(String(h.headers['content-type']), /^text\/html/);
  assert.is(j.headers.vary, 'Accept'); assert.is(h.headers.vary, 'Accept');
  const ups = ix.u.requests.filter((r) => r.path === '/simple/demo-lib/').map((r) => r.headers.accept);
  assert.equal(ups, [JSON_TYPE, 'application/vnd.pypi.simple.v1+html, text/html;q=0.1']);
  const doc = JSON.parse(j.body.toString()) as { meta: { 'api-version': string }; files: { url: string; hashes: { sha256: string }; provenance: string | null; 'core-metadata'?: unknown; size: number }[] };
  assert.is(doc.meta['api-version'], '1.1');
  const wheel = doc.files.find((f) => f.url.includes(WHEEL))!;
  assert.is(wheel.url, `${proxy.url}/pypi/files/127.0.0.1:${ix.f.port}/packages/demo-lib/${WHEEL}`);
  assert.is(wheel.hashes.sha256, ix.sha256(WHEEL));
  assert.is(wheel.size, ix.file(WHEEL).length);
  assert.ok(wheel.provenance!.startsWith(`${proxy.url}/pypi/files/127.0.0.1:${ix.u.port}/integrity/demo-lib/1.0/`), wheel.provenance!);
  assert.ok(wheel['core-metadata']);
  const again = await httpGet(`${I}/demo-lib/`, { headers: { accept: PIP_ACCEPT } });
  assert.is(again.headers['x-cache'], 'FRESH');
  assert.ok(again.body.equals(j.body));
  assert.is(ix.u.count('GET', '/simple/demo-lib/'), 2);
  // the alias is the JSON class's key
  const alias = await httpGet(`${I}/demo-lib/json`);
  assert.is(alias.headers['x-cache'], 'FRESH');
  assert.ok(alias.body.equals(j.body));
  await proxy.stop();
});

test('Y8 normalisation: 301 to the canonical page, no upstream request; root page links map to /simple/', async () => {
  const { proxy, X, I } = await startPypiProxy({ upstream: ix.url });
  const before = ix.total();
  for (const [path, location] of [['Demo.Name_Mixed/', '../demo-name-mixed/'], ['Demo.Name_Mixed', 'demo-name-mixed/'], ['demo-lib', 'demo-lib/']]) {
    const r = await httpGet(`${I}/${path}`, { method: 'HEAD' });
    assert.is(r.status, 301, path);
    assert.is(r.headers.location, location);
    assert.is(new URL(String(r.headers.location), `${I}/${path}`).href, `${I}/${path.toLowerCase().startsWith('demo.') ? 'demo-name-mixed' : 'demo-lib'}/`);
  }
  assert.is(ix.total(), before, 'no upstream request');
  const root = await httpGet(`${X}/simple/`);
  assert.is(root.status, 200);
  assert.match(root.body.toString(), `<a href="${I}/demo-name-mixed/">`);
  const bare = await httpGet(X);
  assert.ok(bare.body.equals(root.body), 'the mount itself is the root page');
  await proxy.stop();
});

test('Y4 HTML: hrefs through the proxy with their #sha256= fragment, every other attribute byte-identical; relative links to U/packages', async () => {
  const { proxy, I } = await startPypiProxy({ upstream: ix.url, pypi: '      proxy_json: false' });
  const up = (await httpGet(`${ix.url}/simple/demo-util/`)).body.toString();
  const r = await httpGet(`${I}/demo-util/`, { headers: { accept: PIP_ACCEPT } });
  assert.match(String(r.headers['content-type']), /^text\/html/);
  const body = r.body.toString();
  assert.is(body.replace(/href="[^"]*"/g, 'href'), up.replace(/href="[^"]*"/g, 'href'), 'only hrefs differ');
  const hrefs = [...body.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
  assert.is(hrefs.length, 4);
  for (const h of hrefs) assert.match(h, new RegExp(`^${proxy.url}/pypi/files/127\\.0\\.0\\.1:${ix.f.port}/packages/demo-util/.+#sha256=[0-9a-f]{64}$`));
  assert.match(body, 'data-requires-python="&lt;4,&gt;=3.7"');
  assert.match(body, 'data-yanked="broken build"');
  assert.is((await httpGet(`${I}/demo-util/json`)).status, 404, 'no JSON alias with proxy_json: false');
  assert.ok(ix.u.requests.filter((q) => q.path === '/simple/demo-util/').every((q) => !q.headers.accept?.includes('json')), 'upstream asked for HTML only');
  const rel = (await httpGet(`${I}/demo-name-mixed/`)).body.toString();
  assert.match(rel, `href="${proxy.url}/pypi/files/127.0.0.1:${ix.u.port}/packages/Demo.Name_Mixed-2.0-py3-none-any.whl#sha256=`);
  const wheel = await httpGet(`${proxy.url}/pypi/files/127.0.0.1:${ix.u.port}/packages/Demo.Name_Mixed-2.0-py3-none-any.whl`);
  assert.is(wheel.status, 200);
  assert.is(sha256(wheel.body), ix.sha256('Demo.Name_Mixed-2.0-py3-none-any.whl'));
  await proxy.stop();
});

test('proxy_core_metadata / proxy_signatures false: the attributes and keys are removed, their files 404', async () => {
  const { proxy, I } = await startPypiProxy({ upstream: ix.url, pypi: '      proxy_core_metadata: false\n      proxy_signatures: false' });
  const h = (await httpGet(`${I}/demo-lib/`)).body.toString();
  assert.not.match(h, /data-core-metadata|data-dist-info-metadata|data-gpg-sig|data-provenance/);
  assert.match(h, /<a href="[^"]+#sha256=[0-9a-f]{64}" data-requires-python="&gt;=3.7">demo_lib-1.0-py3-none-any.whl<\/a>/);
  const j = (await httpGet(`${I}/demo-lib/`, { headers: { accept: JSON_TYPE } })).body.toString();
  assert.not.match(j, /core-metadata|dist-info-metadata|gpg-sig|provenance/);
  assert.is((await httpGet(`${proxy.url}/pypi/files/127.0.0.1:${ix.f.port}/packages/demo-lib/${WHEEL}.metadata`)).status, 404);
  assert.is((await httpGet(`${proxy.url}/pypi/files/127.0.0.1:${ix.f.port}/packages/demo-lib/${WHEEL}.asc`)).status, 404);
  await proxy.stop();
});

test('Y10 companions, Y11 legacy hex form, legacy JSON API', async () => {
  const { proxy, X, I } = await startPypiProxy({ upstream: ix.url });
  const doc = JSON.parse((await httpGet(`${I}/demo-lib/`, { headers: { accept: JSON_TYPE } })).body.toString()) as { files: { url: string; provenance: string | null; 'core-metadata'?: { sha256: string }; 'gpg-sig'?: boolean }[] };
  const wheel = doc.files.find((f) => f.url.includes(WHEEL))!;
  const meta = await httpGet(`${wheel.url.split('#')[0]}.metadata`);
  assert.is(meta.status, 200);
  assert.is(sha256(meta.body), wheel['core-metadata']!.sha256);
  assert.ok(meta.body.equals(ix.file(`${WHEEL}.metadata`)));
  assert.is((await httpGet(`${wheel.url.split('#')[0]}.metadata`)).headers['x-cache'], 'HIT', 'a hashed .metadata file is verified and stored');
  const prov = await httpGet(wheel.provenance!);
  assert.is(prov.status, 200);
  assert.ok(prov.body.equals(ix.file(`${WHEEL}.provenance.json`)));
  const asc = await httpGet(`${wheel.url.split('#')[0]}.asc`);
  assert.is(asc.status, 200);
  assert.ok(asc.body.equals(ix.file(`${WHEEL}.asc`)));
  // Y11: the hex of the upstream URL names the same file and the same key
  const readable = await httpGet(wheel.url.split('#')[0]!);
  assert.is(readable.status, 200);
  const hex = Buffer.from(`${ix.f.url}/packages/demo-lib/${WHEEL}`).toString('hex');
  const legacy = await httpGet(`${X}/files/${hex}`);
  assert.is(legacy.status, 200);
  assert.is(legacy.headers['x-cache'], 'HIT', 'same key as the readable form');
  assert.ok(legacy.body.equals(ix.file(WHEEL)));
  assert.is(ix.f.count('GET', `/packages/demo-lib/${WHEEL}`), 1);
  assert.is((await httpGet(`${X}/files/${Buffer.from('http://169.254.169.254/x.whl').toString('hex')}`)).status, 404);
  // legacy JSON API: urls rewritten, digests kept
  const lj = await httpGet(`${X}/pypi/demo-lib/json`);
  assert.is(lj.status, 200);
  const ld = JSON.parse(lj.body.toString()) as { urls: { url: string; digests: { sha256: string } }[] };
  assert.ok(ld.urls.every((u) => u.url.startsWith(`${X}/files/127.0.0.1:${ix.f.port}/packages/demo-lib/`)));
  assert.ok(ld.urls.some((u) => u.digests.sha256 === ix.sha256(WHEEL)));
  assert.is((await httpGet(`${X}/nothing/here`)).status, 404);
  await proxy.stop();
});

test('Y9 SSRF: files on origins no page named are 404 with no outbound connection', async () => {
  const { proxy, X } = await startPypiProxy({ upstream: ix.url });
  const probe = await startFixtureServer();
  probe.set('/x', { body: 'secret' });
  for (const path of ['169.254.169.254/latest/meta-data', '127.0.0.1:22/x', `127.0.0.1:${probe.port}/x`, `127.0.0.1:${probe.port}/demo_lib-1.0-py3-none-any.whl`]) {
    const r = await httpGet(`${X}/files/${path}`);
    assert.is(r.status, 404, path);
  }
  assert.is(probe.requests.length, 0, 'no connection to a host no page named');
  await probe.close();
  await proxy.stop();
});

test('Y7/Y12 verification: a flipped byte is 502 with the hash text, nothing stored, metric +1; a ledger miss learns the page', async () => {
  const { proxy, X } = await startPypiProxy({ upstream: ix.url });
  const util = 'demo_util-1.0-py3-none-any.whl';
  const url = `${X}/files/127.0.0.1:${ix.f.port}/packages/demo-util/${util}`;
  const pageGets = () => ix.u.count('GET', '/simple/demo-util/');
  const p0 = pageGets();
  const first = await httpGet(url);
  assert.is(first.status, 200);
  assert.is(sha256(first.body), ix.sha256(util));
  assert.is(pageGets(), p0 + 1, 'the ledger miss fetched the project page');
  assert.is(ix.u.requests.filter((r) => r.path === '/simple/demo-util/').pop()!.headers.accept, JSON_TYPE, 'as the json class');
  assert.is((await httpGet(url)).headers['x-cache'], 'HIT');
  const lib = `${X}/files/127.0.0.1:${ix.f.port}/packages/demo-lib/demo-lib-1.0.tar.gz`;
  ix.f.fault('/packages/demo-lib/demo-lib-1.0.tar.gz', { flip_byte: 10, once: true });
  const bad = await httpGet(lib);
  assert.is(bad.status, 502);
  const expected = ix.sha256('demo-lib-1.0.tar.gz');
  const flipped = Buffer.from(ix.file('demo-lib-1.0.tar.gz')); flipped[10] ^= 0xff;
  assert.match(bad.body.toString(), `hash mismatch for demo-lib-1.0.tar.gz: index says sha256:${expected}, upstream sent sha256:${sha256(flipped)}; nothing was cached`);
  assert.is(await metricValue(proxy.url, 'cache_proxy_verify_failures_total', { instance: 'pypi', kind: 'file' }), 1);
  const good = await httpGet(lib);
  assert.is(good.status, 200);
  assert.is(good.headers['x-cache'], 'MISS', 'nothing was stored for it');
  assert.is(sha256(good.body), expected);
  await proxy.stop();
});

test('unknown hash: served, not stored (verify skipped); stored unverified with require_known_hash: false', async () => {
  const name = 'unlisted_pkg-1.0-py3-none-any.whl';
  ix.u.set(`/packages/${name}`, { body: 'not on any page' });
  const path = `/files/127.0.0.1:${ix.u.port}/packages/${name}`;
  const strict = await startPypiProxy({ upstream: ix.url });
  for (let i = 0; i < 2; i++) {
    const r = await httpGet(`${strict.X}${path}`);
    assert.is(r.status, 200);
    assert.is(r.body.toString(), 'not on any page');
    assert.is(r.headers['x-cache'], 'BYPASS');
  }
  assert.is(await metricValue(strict.proxy.url, 'cache_proxy_verify_skipped_total', { instance: 'pypi', kind: 'file' }), 2);
  await strict.proxy.stop();
  const lax = await startPypiProxy({ upstream: ix.url, pypi: '      require_known_hash: false' });
  assert.is((await httpGet(`${lax.X}${path}`)).headers['x-cache'], 'MISS');
  const again = await httpGet(`${lax.X}${path}`);
  assert.is(again.headers['x-cache'], 'HIT');
  assert.is(again.body.toString(), 'not on any page');
  assert.is(await metricValue(lax.proxy.url, 'cache_proxy_verify_skipped_total', { instance: 'pypi', kind: 'file' }), 1);
  assert.is(ix.u.count('GET', `/packages/${name}`), 3);
  await lax.proxy.stop();
});

test('index pages are validated: HTML without <html>/<a>, JSON without api-version 1.x → 502, not stored', async () => {
  const bad = await startFixtureServer();
  bad.set('/simple/x/', { headers: { 'content-type': 'text/html' }, body: 'maintenance' });
  bad.set('/simple/y/', { headers: { 'content-type': JSON_TYPE }, body: '{"meta":{"api-version":"2.0"},"files":[]}' });
  const { proxy, I } = await startPypiProxy({ upstream: bad.url });
  for (const [p, a] of [['x', 'text/html'], ['y', JSON_TYPE]]) {
    assert.is((await httpGet(`${I}/${p}/`, { headers: { accept: a! } })).status, 502, p);
    assert.is((await httpGet(`${I}/${p}/`, { headers: { accept: a! } })).status, 502, `${p} not stored`);
    assert.is(bad.count('GET', `/simple/${p}/`), 2);
  }
  await bad.close();
  await proxy.stop();
});

test.run();
