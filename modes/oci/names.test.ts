import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRequest, parseDigest, isRepository, digestKey, tagKey, upstreamUrls, forwardedQuery, registriesOf } from './names.js';

const cfg = {
  upstream: 'https://default.example/', short_name_prefix: 'library', mirrors: ['https://mirror.example'],
  registries: [{ name: 'second.example', upstream: 'https://second.example' }, { name: 'third.example', upstream: 'https://third.example', short_name_prefix: 'lib' }],
};
const req = (path: string, q = '') => ({ path, query: new URLSearchParams(q) });
const ok = (path: string, q = '', c: Record<string, unknown> = cfg) => {
  const p = parseRequest(req(path, q), c);
  if (!p?.ok) throw new Error(`not ok: ${JSON.stringify(p)}`);
  return p;
};

test('registry choice: ns, then the first path component, then the default; short names get the prefix', () => {
  assert.equal([ok('alpine/manifests/3').reg.name, ok('alpine/manifests/3').repo], ['_', 'library/alpine']);
  assert.equal([ok('team/app/manifests/v1').reg.name, ok('team/app/manifests/v1').repo], ['_', 'team/app']);
  assert.equal([ok('second.example/team/app/manifests/v1').reg.name, ok('second.example/team/app/manifests/v1').repo], ['second.example', 'team/app']);
  assert.is(ok('third.example/tool/manifests/v1').repo, 'lib/tool');
  const ns = ok('team/app/manifests/v1', 'ns=second.example');
  assert.equal([ns.reg.name, ns.repo, ns.ns], ['second.example', 'team/app', 'second.example']);
  assert.is(ok('team/app/manifests/v1', 'ns=default.example').reg.name, '_', 'ns naming the default upstream host');
  assert.is(ok('team/app/manifests/v1', 'ns=unknown.example').ns, undefined, 'unknown ns: ignored');
  assert.is(ok('team/app/manifests/v1', 'ns=second.example', { ...cfg, honor_ns_param: false }).reg.name, '_');
  const pure = parseRequest(req('other/app/manifests/v1'), { registries: cfg.registries });
  assert.equal(pure, { ok: false, status: 404, code: 'NAME_UNKNOWN', message: 'no registry is configured for "other/app" (name the registry as the first path component)' });
});

test('kinds and references: tag, manifest by digest, blob, unverifiable digests pass through, listings, uploads', () => {
  const h = 'a'.repeat(64);
  assert.is(ok('x/manifests/v1.2_3-b').kind, 'tag');
  assert.is(ok(`x/manifests/sha256:${h}`).kind, 'manifest');
  assert.is(ok(`x/manifests/sha512:${'b'.repeat(128)}`).kind, 'manifest');
  assert.is(ok('x/manifests/blake3:abc').kind, 'passthrough');
  assert.is(ok(`x/blobs/sha256:${h}`).kind, 'blob');
  assert.is(ok('x/blobs/other:xyz').kind, 'passthrough');
  assert.is(ok(`x/referrers/sha256:${h}`).kind, 'referrers');
  assert.is(ok('x/tags/list').kind, 'tags_list');
  assert.is(ok('x/blobs/uploads/').kind, 'uploads');
  assert.is(ok('a/manifests/b/manifests/v1').repo, 'a/manifests/b', 'the last API segment wins');
  assert.is(parseRequest(req('_catalog'), cfg), null);
});

test('invalid names, tags and digests → 400 with OCI codes', () => {
  const code = (p: string) => { const r = parseRequest(req(p), cfg); return r && !r.ok ? r.code : 'ok'; };
  assert.is(code('Upper/manifests/v1'), 'NAME_INVALID');
  assert.is(code('a..b/manifests/v1'), 'NAME_INVALID');
  assert.is(code(`${'a'.repeat(260)}/x/manifests/v1`), 'NAME_INVALID');
  assert.is(code('a/manifests/.v1'), 'MANIFEST_INVALID');
  assert.is(code(`a/manifests/${'t'.repeat(129)}`), 'MANIFEST_INVALID');
  assert.is(code('a/manifests/sha256:abc'), 'DIGEST_INVALID');
  assert.is(code(`a/blobs/sha256:${'A'.repeat(64)}`), 'DIGEST_INVALID');
  assert.is(code('a/blobs/nocolon'), 'DIGEST_INVALID');
  assert.ok(isRepository('a/b-c/d__e/f.g'));
  assert.not.ok(isRepository('a/-b'));
});

test('keys are shared across repositories and registries for content; tags are per registry and repo', () => {
  const d = parseDigest(`sha256:${'c'.repeat(64)}`)!;
  assert.is(digestKey('blobs', d), `oci/blobs/sha256/cc/${'c'.repeat(64)}`);
  const regs = registriesOf(cfg);
  assert.is(tagKey(regs.fallback!, 'library/alpine', '3'), 'oci/tags/_/library/alpine/3');
  assert.equal(upstreamUrls(regs.fallback!, 'library/alpine', `blobs/${d.text}`, true), [
    `https://mirror.example/v2/library/alpine/blobs/${d.text}`, `https://default.example/v2/library/alpine/blobs/${d.text}`,
  ]);
  assert.equal(upstreamUrls(regs.fallback!, 'library/alpine', 'manifests/3', false), ['https://default.example/v2/library/alpine/manifests/3']);
  assert.is(forwardedQuery(new URLSearchParams('ns=x&n=2&last=b')), '?last=b&n=2');
  assert.is(forwardedQuery(new URLSearchParams('ns=x')), '');
});

test.run();
