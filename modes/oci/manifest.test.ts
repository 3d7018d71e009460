import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Match } from '../../engine/mode.js';
import { acceptClass } from './accept.js';
import { Readable } from 'node:stream';
import { stubHookContext } from '../../engine/mode-testing.js';
import { admitManifest, checkManifest, checkManifestFile, tagTarget, verifyByHeader, verifyByUrl } from './manifest.js';

const OCI = 'application/vnd.oci.image.manifest.v1+json';
const match = (path: string, config: Record<string, unknown> = { upstream: 'https://r.example', mirrors: ['https://m.example'] }) =>
  ({ path, query: new URLSearchParams(), config, headers: {}, method: 'GET', params: {}, segments: path.split('/'), trailingSlash: false }) as unknown as Match;
const hex = 'd'.repeat(64);

test('accept class: recognised types only, q-values dropped, */* kept, sorted; empty when none', () => {
  assert.is(acceptClass(`${OCI};q=0.5, text/html, application/vnd.docker.distribution.manifest.v2+json, */*`),
    `*/*, application/vnd.docker.distribution.manifest.v2+json, ${OCI}`);
  assert.is(acceptClass(`application/vnd.docker.distribution.manifest.v2+json,${OCI}`), acceptClass(`${OCI}, application/vnd.docker.distribution.manifest.v2+json`));
  assert.is(acceptClass('text/html'), '');
  assert.is(acceptClass(undefined), '');
});

test('checkManifest: JSON, schemaVersion 2, mediaType equal to Content-Type', () => {
  const body = (o: unknown) => Buffer.from(JSON.stringify(o));
  assert.is(checkManifest(body({ schemaVersion: 2, mediaType: OCI }), { 'content-type': OCI }), null);
  assert.is(checkManifest(body({ schemaVersion: 2 }), { 'content-type': OCI }), null);
  assert.match(checkManifest(body({ schemaVersion: 1 }), { 'content-type': OCI })!, /schemaVersion/);
  assert.match(checkManifest(body({ schemaVersion: 2, mediaType: OCI }), { 'content-type': 'application/vnd.oci.image.index.v1+json' })!, /differs/);
  assert.match(checkManifest(Buffer.from('<html>'), { 'content-type': OCI })!, /not JSON/);
});

test('the check of a completed manifest reads the file and applies checkManifest', async () => {
  const type = 'application/vnd.oci.image.manifest.v1+json';
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: type }));
  const input = (b: Buffer, size = b.length) => ({ open: () => Readable.from([b.subarray(0, 5), b.subarray(5)]), size, headers: { 'content-type': type }, match: {} as Match, ctx: stubHookContext({}) });
  assert.is(await checkManifestFile(input(body)), null);
  assert.is(await checkManifestFile(input(Buffer.from('{"schemaVersion":1}'))), 'manifest schemaVersion is 1, not 2');
  assert.match((await checkManifestFile(input(body, 65 * 1024 * 1024)))!, /too large to check/);
});

test('admit: schema 1 passes through uncached; over max_manifest_size refused', () => {
  const m = match('x/manifests/v1', { upstream: 'https://r.example', max_manifest_size: '1KiB' });
  assert.is(admitManifest({ headers: { 'content-type': OCI }, size: 1024 }, m), 'store');
  assert.is(admitManifest({ headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }, size: 10 }, m), 'pass');
  assert.ok(typeof admitManifest({ headers: { 'content-type': OCI }, size: 1025 }, m) === 'object');
});

test('verification: digests from the URL (sha256, sha512), from Docker-Content-Digest for tags; others none', async () => {
  const ctx = {} as never;
  assert.equal(await verifyByUrl({ match: match(`x/blobs/sha256:${hex}`), ctx, rule: {} }), { sha256: hex });
  assert.equal(await verifyByUrl({ match: match(`x/manifests/sha512:${'e'.repeat(128)}`), ctx, rule: {} }), { sha512: 'e'.repeat(128) });
  assert.equal(await verifyByHeader({ match: match('x/manifests/v1'), ctx, rule: {}, headers: { 'docker-content-digest': `sha256:${hex}` } }), { sha256: hex });
  assert.is(await verifyByHeader({ match: match('x/manifests/v1'), ctx, rule: {}, headers: {} }), null);
});

test('tag target: the upstream digest (mirrors first), else the sha256 of the bytes; nothing without either', () => {
  const t = tagTarget(match('team/app/manifests/v1'), { 'docker-content-digest': `sha256:${hex}` })!;
  assert.equal(t, {
    kind: 'manifest', key: `oci/manifests/sha256/dd/${hex}`, verify: { sha256: hex },
    upstream: [`https://m.example/v2/team/app/manifests/sha256:${hex}`, `https://r.example/v2/team/app/manifests/sha256:${hex}`],
  });
  assert.is(tagTarget(match('team/app/manifests/v1'), {}, { sha256: 'f'.repeat(64) })!.key, `oci/manifests/sha256/ff/${'f'.repeat(64)}`);
  assert.is(tagTarget(match('team/app/manifests/v1'), {}), null);
});

test.run();
