// oci mode, several registries behind the main listener (`route.path: /v2`, registry name first in the
// path; modes/oci.md §2.1, §2.5, §5 O3 O4 O9): a htpasswd registry (Basic) and a token-auth registry with
// the test's token issuer (Bearer challenge, with credentials and anonymous), each behind a counting shim.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startProxy, httpGet, tmpDir, cleanupAll, type ProxyHandle } from './index.js';
import { startRegistry, type Registry } from './harness/oci/registry.js';
import { startTokenIssuer, type TokenIssuer } from './harness/oci/token-issuer.js';
import { startShim, type Shim } from './harness/shim.js';
import { buildImage, push, skopeoCopy, must, layoutBlobs, ociClass, MANIFEST_ACCEPT } from './harness/oci/images.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let work: string, L: string, a: Registry, b: Registry, issuer: TokenIssuer, proxy: ProxyHandle, X: string;
let shimA: Shim, shimB: Shim, shimAnon: Shim, shimBad: Shim, shimM: Shim, shimMirror: Shim;
const D: Record<string, string> = {};

test.before(async () => {
  work = tmpDir('oci-regs-');
  L = join(work, 'layout');
  D.demo = await buildImage(L, 'demo', 'amd64', 'regs-demo');
  D.demo2 = await buildImage(L, 'demo2', 'amd64', 'regs-demo-2');
  D.app = await buildImage(L, 'app', 'amd64', 'regs-app', 2);
  D.tool1 = await buildImage(L, 'tool1', 'arm64', 'regs-tool-1');
  D.tool2 = await buildImage(L, 'tool2', 'arm64', 'regs-tool-2');
  D.tool3 = await buildImage(L, 'tool3', 'arm64', 'regs-tool-3');
  a = await startRegistry({ dir: join(work, 'a'), auth: { type: 'htpasswd', username: 'fixture', password: 'secret' } });
  issuer = await startTokenIssuer({ dir: work, users: { fixture: 'secret' }, anonymousPull: true, expiresIn: 300 });
  b = await startRegistry({ dir: join(work, 'b'), auth: { type: 'token', realm: issuer.realm, service: issuer.service, issuer: issuer.issuer, certFile: issuer.certFile } });
  await push(L, 'demo', a.host, 'library/demo:v1');
  await push(L, 'demo2', a.host, 'library/demo:v2');
  await push(L, 'app', b.host, 'team/app:v1');
  await push(L, 'tool1', b.host, 'pub/tool:v1');
  await push(L, 'tool2', b.host, 'pub/tool:v2');
  await push(L, 'tool3', b.host, 'pub/tool3:v1');
  const mirror = await startRegistry({ dir: join(work, 'mirror') }); // a plain registry holding a copy of pub/tool3
  await push(L, 'tool3', mirror.host, 'pub/tool3:v1');
  issuer.requests.length = 0;
  [shimA, shimB, shimAnon, shimBad, shimM, shimMirror] = await Promise.all([a, b, b, b, b, mirror].map((r) => startShim({ target: r.url, classify: ociClass })));
  proxy = await startProxy({
    env: { OCI_FIXTURE_PASSWORD: 'secret' },
    config: `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
instances:
  - name: registries
    enabled: true
    oci:
      route: { path: /v2 }
      fresh_for: 10m
      registries:
        - { name: fixture-a.local, upstream: ${shimA.url}, short_name_prefix: library, auth: { type: basic, username: fixture, password: "\${OCI_FIXTURE_PASSWORD}" } }
        - { name: fixture-b.local, upstream: ${shimB.url}, auth: { type: basic, username: fixture, password: $OCI_FIXTURE_PASSWORD } }
        - { name: fixture-anon.local, upstream: ${shimAnon.url} }
        - { name: fixture-bad.local, upstream: ${shimBad.url}, auth: { type: basic, username: fixture, password: wrong } }
        - { name: fixture-m.local, upstream: ${shimM.url}, mirrors: [${shimMirror.url}] }
      rules:
        - { match: "fixture-anon.local/**", fresh_for: 1s }
`,
  });
  X = proxy.url.replace('http://', '');
});
test.after(cleanupAll);

const out = (name: string) => { const d = join(work, 'out', name); rmSync(d, { recursive: true, force: true }); mkdirSync(join(work, 'out'), { recursive: true }); return d; };
const regNames = (s: Shim) => s.requests.filter((r) => /fixture-/.test(r.path));

test('O4 short names: fixture-a.local/demo goes upstream as library/demo; then library/demo makes 0 upstream requests', async () => {
  assert.is((await skopeoCopy(`docker://${X}/fixture-a.local/demo:v1`, `dir:${out('short')}`)).code, 0);
  assert.ok(shimA.count({ path: '/v2/library/demo/manifests/v1' }) >= 1);
  assert.is(shimA.requests.filter((r) => !r.path.startsWith('/v2/library/demo/')).length, 0);
  const before = shimA.requests.length;
  const dest = out('long');
  assert.is((await skopeoCopy(`docker://${X}/fixture-a.local/library/demo:v1`, `dir:${dest}`)).code, 0);
  assert.is(shimA.requests.length, before);
  assert.is(sha(readFileSync(join(dest, 'manifest.json'))), D.demo);
});

test('O3 + O9 host-in-path and token auth: fixture-b.local pulls through a Bearer challenge; 1 token request per scope; warm: 0', async () => {
  const dest = out('b1');
  assert.is((await skopeoCopy(`docker://${X}/fixture-b.local/team/app:v1`, `dir:${dest}`)).code, 0);
  assert.is(sha(readFileSync(join(dest, 'manifest.json'))), D.app);
  assert.ok(shimB.requests.some((r) => r.status === 401), 'the registry challenged first');
  assert.is(shimB.requests.filter((r) => r.status !== 200).length, 1, 'one challenge, then tokens are sent pre-emptively');
  assert.is(issuer.countScope('repository:team/app:pull'), 1);
  assert.is(issuer.requests.filter((r) => r.user === 'fixture').length, issuer.requests.length, 'configured credentials sent to the loopback realm');
  // content is shared across registries: the base layer already came from fixture-a.local
  const fromA = layoutBlobs(L, D.demo!);
  for (const blob of layoutBlobs(L, D.app!)) assert.is(shimB.count({ method: 'GET', path: `/v2/team/app/blobs/${blob}` }), fromA.includes(blob) ? 0 : 1);
  assert.equal(regNames(shimA).concat(regNames(shimB)), [], 'the registry name never goes upstream');
  const tokens = issuer.requests.length, ups = shimB.requests.length;
  assert.is((await skopeoCopy(`docker://${X}/fixture-b.local/team/app:v1`, `dir:${out('b2')}`)).code, 0);
  assert.is(issuer.requests.length, tokens);
  assert.is(shimB.requests.length, ups);
});

test('anonymous token, rules[] fresh_for 1s: a warm revalidation costs one upstream HEAD with a pre-emptive token, no token request', async () => {
  assert.is((await skopeoCopy(`docker://${X}/fixture-anon.local/pub/tool:v1`, `dir:${out('anon1')}`)).code, 0);
  assert.ok(issuer.requests.some((r) => r.user === undefined && r.scopes.includes('repository:pub/tool:pull')), 'anonymous token request');
  await new Promise((r) => setTimeout(r, 1200));
  const tokens = issuer.requests.length, before = shimAnon.requests.length;
  assert.is((await skopeoCopy(`docker://${X}/fixture-anon.local/pub/tool:v1`, `dir:${out('anon2')}`)).code, 0);
  const seen = shimAnon.requests.slice(before);
  assert.equal(seen.map((r) => `${r.method} ${r.path} ${r.status}`), ['HEAD /v2/pub/tool/manifests/v1 200']);
  assert.match(seen[0]!.headers.authorization ?? '', /^Bearer /);
  assert.is(issuer.requests.length, tokens);
});

test('tag moved to a digest already cached → rebound without a GET (REFRESH)', async () => {
  const get = (tag: string) => httpGet(`${proxy.url}/v2/fixture-anon.local/pub/tool/manifests/${tag}`, { headers: { accept: MANIFEST_ACCEPT } });
  assert.is(sha((await get('v2')).body), D.tool2);
  await push(L, 'tool2', b.host, 'pub/tool:v1');
  await new Promise((r) => setTimeout(r, 1200));
  const before = shimAnon.requests.length;
  const r = await get('v1');
  assert.is(r.headers['x-cache'], 'REFRESH');
  assert.is(sha(r.body), D.tool2);
  assert.is(r.headers['docker-content-digest'], D.tool2);
  assert.equal(shimAnon.requests.slice(before).map((x) => `${x.method} ${x.path}`), ['HEAD /v2/pub/tool/manifests/v1']);
});

test('HEAD on a cold tag whose digest is cached stores only the binding; the GET after it is local', async () => {
  const accept = 'application/vnd.oci.image.manifest.v1+json'; // another Accept class: a binding of its own
  const url = `${proxy.url}/v2/fixture-anon.local/pub/tool/manifests/v2`;
  const before = shimAnon.requests.length;
  const h = await httpGet(url, { method: 'HEAD', headers: { accept } });
  assert.is(h.status, 200);
  assert.is(h.headers['docker-content-digest'], D.tool2);
  const g = await httpGet(url, { headers: { accept } });
  assert.is(sha(g.body), D.tool2);
  assert.ok(['FRESH', 'HIT'].includes(String(g.headers['x-cache'])), String(g.headers['x-cache']));
  const seen = shimAnon.requests.slice(before).map((x) => `${x.method} ${x.path}`);
  assert.is(seen[0], 'HEAD /v2/pub/tool/manifests/v2');
  assert.ok(seen.every((x) => x.startsWith('HEAD ')), `no GET: ${seen.join(', ')}`);
});

test('mirrors serve content by digest; the tag still resolves against the upstream', async () => {
  assert.is((await skopeoCopy(`docker://${X}/fixture-m.local/pub/tool3:v1`, `dir:${out('mirrored')}`)).code, 0);
  assert.equal(shimM.requests.map((r) => `${r.method} ${r.cls}`).filter((x) => !x.endsWith(' tag')), [], 'upstream: the tag only');
  const unique = layoutBlobs(L, D.tool3!).filter((x) => !layoutBlobs(L, D.tool1!).includes(x));
  for (const blob of unique) assert.is(shimMirror.count({ method: 'GET', path: `/v2/pub/tool3/blobs/${blob}` }), 1, blob);
  assert.is(shimMirror.count({ cls: 'tag' }), 0, 'tags never come from a mirror');
});

test('refused credentials → 403 DENIED, never a challenge passed to the client', async () => {
  const r = await httpGet(`${proxy.url}/v2/fixture-bad.local/team/app/manifests/v1`, { headers: { accept: MANIFEST_ACCEPT } });
  assert.is(r.status, 403);
  assert.is(r.headers['www-authenticate'], undefined);
  assert.is((JSON.parse(r.body.toString()) as { errors: { code: string }[] }).errors[0]!.code, 'DENIED');
});

test('?ns= selects a registry entry and is echoed in OCI-Namespace; it shares the entry\'s bindings', async () => {
  const before = shimB.requests.length;
  const r = await httpGet(`${proxy.url}/v2/team/app/manifests/v1?ns=fixture-b.local`, { headers: { accept: MANIFEST_ACCEPT } });
  assert.is(r.status, 200);
  assert.is(r.headers['oci-namespace'], 'fixture-b.local');
  assert.is(sha(r.body), D.app);
  assert.is(shimB.requests.length, before);
});

test('tags list: query forwarded without ns; a repeat within fresh_for is local (Link rewriting: modes/oci/links.test.ts)', async () => {
  const r = await httpGet(`${proxy.url}/v2/library/demo/tags/list?n=10&ns=fixture-a.local`);
  assert.is(r.status, 200);
  assert.equal((JSON.parse(r.body.toString()) as { tags: string[] }).tags.sort(), ['v1', 'v2']);
  assert.is(r.headers['oci-namespace'], 'fixture-a.local');
  const before = shimA.requests.length;
  const again = await httpGet(`${proxy.url}/v2/fixture-a.local/library/demo/tags/list?n=10`);
  assert.ok(again.body.equals(r.body));
  assert.is(again.headers['x-cache'], 'FRESH');
  assert.is(shimA.requests.length, before);
  assert.equal(shimA.requests.filter((x) => x.cls === 'tags').map((x) => `${x.path}?${x.query}`), ['/v2/library/demo/tags/list?n=10']);
});

test('bad input: OCI error codes, 404 for a registry nobody configured, API version header on every answer', async () => {
  const cases: [string, number, string][] = [
    ['fixture-a.local/Bad/manifests/v1', 400, 'NAME_INVALID'],
    ['fixture-a.local/library/demo/manifests/-v1', 400, 'MANIFEST_INVALID'],
    ['fixture-a.local/library/demo/manifests/sha256:abc', 400, 'DIGEST_INVALID'],
    ['fixture-a.local/library/demo/blobs/md5', 400, 'DIGEST_INVALID'],
    ['elsewhere.example/x/manifests/v1', 404, 'NAME_UNKNOWN'],
    ['_catalog', 404, 'NAME_UNKNOWN'],
  ];
  const before = shimA.requests.length + shimB.requests.length;
  for (const [p, status, code] of cases) {
    const r = await httpGet(`${proxy.url}/v2/${p}`);
    assert.is(r.status, status, p);
    assert.is((JSON.parse(r.body.toString()) as { errors: { code: string }[] }).errors[0]!.code, code, p);
    assert.is(r.headers['docker-distribution-api-version'], 'registry/2.0', p);
  }
  assert.is(shimA.requests.length + shimB.requests.length, before, 'nothing went upstream');
  const ping = await httpGet(`${proxy.url}/v2/`, { method: 'HEAD' });
  assert.is(ping.status, 200);
  assert.is(ping.headers['docker-distribution-api-version'], 'registry/2.0');
  const raw = await must('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${X}/fixture-a.local/library/demo:v2`]);
  assert.is(sha(Buffer.from(raw.stdout)), D.demo2);
});

test.run();
