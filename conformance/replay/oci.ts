// oci mode replays, recorded from the real CNCF distribution registry (Debian `docker-registry`, started by
// conformance/harness/oci/registry.ts) holding one tiny image built by conformance/fixtures/oci/image.sh and
// pushed with skopeo. Manifests are asked with the Accept skopeo sends, as the mode forwards it (its class).
import { join } from 'node:path';
import { tmpDir } from '../harness/launcher.js';
import { startRegistry } from '../harness/oci/registry.js';
import { buildImage, push, layoutManifest, MANIFEST_ACCEPT } from '../harness/oci/images.js';
import { acceptClass } from '../../modes/oci/accept.js';
import { record, writeScenarios, expect, sha256 } from './scenario.js';

const REPO = '/library/demo';
const TAG = `${REPO}/manifests/v1`, NO_TAG = `${REPO}/manifests/nosuch`;
const NO_BLOB = `${REPO}/blobs/sha256:${'0'.repeat(63)}1`;
const up = (p: string) => `/v2${p}`;
const client = { accept: MANIFEST_ACCEPT };

const instance = (freshFor: string) => `
route: { path: /v2 }
upstream: \${UPSTREAM}
fresh_for: ${freshFor}
`;

export async function recordOci(): Promise<void> {
  const work = tmpDir('oci-replay-');
  const reg = await startRegistry({ dir: join(work, 'registry') });
  const layout = join(work, 'layout');
  const digest = await buildImage(layout, 'v1', 'amd64', 'replay');
  await push(layout, 'v1', reg.host, 'library/demo:v1');
  const m = layoutManifest(layout, digest);
  const BY_DIGEST = `${REPO}/manifests/${digest}`, CONFIG = `${REPO}/blobs/${m.config!.digest}`, LAYER = `${REPO}/blobs/${m.layers![1]!.digest}`;
  const sent = { accept: acceptClass(MANIFEST_ACCEPT) };
  const rec = await record('oci', reg.url, [
    { method: 'HEAD', path: up(TAG), headers: sent }, { path: up(TAG), headers: sent }, { path: up(BY_DIGEST), headers: sent },
    { path: up(CONFIG) }, { path: up(LAYER) }, { method: 'HEAD', path: up(LAYER) },
    { path: up(NO_TAG), headers: sent }, { path: up(NO_BLOB) },
  ]);
  await reg.stop();
  const e = (request: string) => rec.ex(request.replace(' ', ' /v2'));
  const manifest = rec.bytes(e(`GET ${TAG}`)), config = rec.bytes(e(`GET ${CONFIG}`)), layer = rec.bytes(e(`GET ${LAYER}`));
  const c = (counts: Record<string, number>) => ({ upstream_counts: Object.fromEntries(Object.entries(counts).map(([k, n]) => [k.replace(' ', ' /v2'), n])) });
  const digestHeader = (d: string) => ({ 'docker-content-digest': d });
  writeScenarios(rec, [
    {
      name: 'pull',
      instance: instance('1m'),
      exchanges: [e(`HEAD ${TAG}`), e(`GET ${TAG}`), e(`GET ${CONFIG}`), e(`GET ${LAYER}`)],
      expect: [
        // the API root is answered by the proxy itself
        expect('/', { status: 200, body: '{}', headers: { 'docker-distribution-api-version': 'registry/2.0', 'x-cache': null }, ...c({ 'GET /': 0 }) }),
        expect(`HEAD ${TAG}`, { headers_sent: client, status: 200, x_cache: 'MISS', headers: { 'content-length': String(manifest.length), ...digestHeader(digest) }, ...c({ [`HEAD ${TAG}`]: 1, [`GET ${TAG}`]: 0 }) }),
        expect(TAG, { headers_sent: client, status: 200, x_cache: 'MISS', body_sha256: digest.slice(7), headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', ...digestHeader(digest) }, ...c({ [`HEAD ${TAG}`]: 1, [`GET ${TAG}`]: 1 }) }),
        expect(TAG, { headers_sent: client, status: 200, x_cache: 'FRESH', body_sha256: digest.slice(7), ...c({ [`HEAD ${TAG}`]: 1, [`GET ${TAG}`]: 1 }) }),
        // the tag's manifest is stored under its digest too
        expect(BY_DIGEST, { headers_sent: client, status: 200, x_cache: 'HIT', body_sha256: digest.slice(7), ...c({ [`GET ${BY_DIGEST}`]: 0 }) }),
        expect(CONFIG, { status: 200, x_cache: 'MISS', body_sha256: sha256(config), headers: digestHeader(m.config!.digest), ...c({ [`GET ${CONFIG}`]: 1 }) }),
        expect(CONFIG, { status: 200, x_cache: 'HIT', body_sha256: sha256(config), ...c({ [`GET ${CONFIG}`]: 1 }) }),
        expect(LAYER, { status: 200, x_cache: 'MISS', body_sha256: sha256(layer), ...c({ [`GET ${LAYER}`]: 1 }) }),
        expect(`HEAD ${LAYER}`, { status: 200, x_cache: 'HIT', headers: { 'content-length': String(layer.length), ...digestHeader(m.layers![1]!.digest) }, ...c({ [`GET ${LAYER}`]: 1, [`HEAD ${LAYER}`]: 0 }) }),
      ],
    },
    {
      name: 'by-digest',
      instance: instance('1m'),
      exchanges: [e(`GET ${BY_DIGEST}`)],
      expect: [
        expect(BY_DIGEST, { headers_sent: client, status: 200, x_cache: 'MISS', body_sha256: digest.slice(7), ...c({ [`GET ${BY_DIGEST}`]: 1 }) }),
        expect(BY_DIGEST, { headers_sent: client, status: 200, x_cache: 'HIT', body_sha256: digest.slice(7), ...c({ [`GET ${BY_DIGEST}`]: 1 }) }),
        expect(`HEAD ${BY_DIGEST}`, { headers_sent: client, status: 200, x_cache: 'HIT', headers: { 'content-length': String(manifest.length) }, ...c({ [`GET ${BY_DIGEST}`]: 1, [`HEAD ${BY_DIGEST}`]: 0 }) }),
      ],
    },
    {
      // past fresh_for a tag costs one upstream HEAD; the same digest keeps the stored manifest
      name: 'tag-revalidate',
      instance: instance('1s'),
      exchanges: [e(`HEAD ${TAG}`), e(`GET ${TAG}`)],
      expect: [
        expect(TAG, { headers_sent: client, status: 200, x_cache: 'MISS', body_sha256: digest.slice(7), ...c({ [`GET ${TAG}`]: 1, [`HEAD ${TAG}`]: 0 }) }),
        expect(TAG, { wait_ms: 1200, headers_sent: client, status: 200, x_cache: 'HIT', body_sha256: digest.slice(7), ...c({ [`GET ${TAG}`]: 1, [`HEAD ${TAG}`]: 1 }) }),
      ],
    },
    {
      name: 'digest-mismatch',
      instance: instance('1m'),
      exchanges: [{ ...e(`GET ${LAYER}`), fault: 'flip_byte', fault_at: 1000 }, e(`GET ${LAYER}`), { ...e(`GET ${TAG}`), fault: 'flip_byte', fault_at: 300 }, e(`GET ${TAG}`)],
      expect: [
        // bytes that do not hash to the digest: 502, nothing stored, the next request goes upstream again
        expect(LAYER, { status: 502, x_cache: 'ERROR', ...c({ [`GET ${LAYER}`]: 1 }) }),
        expect(LAYER, { status: 200, x_cache: 'MISS', body_sha256: sha256(layer), aborted: false, ...c({ [`GET ${LAYER}`]: 2 }) }),
        expect(LAYER, { status: 200, x_cache: 'HIT', body_sha256: sha256(layer), ...c({ [`GET ${LAYER}`]: 2 }) }),
        // a tag's manifest must hash to the upstream's Docker-Content-Digest
        expect(TAG, { headers_sent: client, status: 502, x_cache: 'ERROR', ...c({ [`GET ${TAG}`]: 1 }) }),
        expect(TAG, { headers_sent: client, status: 200, x_cache: 'MISS', body_sha256: digest.slice(7), ...c({ [`GET ${TAG}`]: 2 }) }),
        expect(TAG, { headers_sent: client, status: 200, x_cache: 'FRESH', body_sha256: digest.slice(7), ...c({ [`GET ${TAG}`]: 2 }) }),
      ],
    },
    {
      name: 'head-miss',
      instance: instance('1m'),
      exchanges: [e(`HEAD ${LAYER}`), e(`GET ${LAYER}`)],
      expect: [
        expect(`HEAD ${LAYER}`, { status: 200, x_cache: 'MISS', headers: { 'content-length': String(layer.length) }, ...c({ [`HEAD ${LAYER}`]: 1, [`GET ${LAYER}`]: 0 }) }),
        expect(LAYER, { status: 200, x_cache: 'MISS', body_sha256: sha256(layer), ...c({ [`HEAD ${LAYER}`]: 1, [`GET ${LAYER}`]: 1 }) }),
        expect(`HEAD ${LAYER}`, { status: 200, x_cache: 'HIT', headers: { 'content-length': String(layer.length) }, ...c({ [`HEAD ${LAYER}`]: 1, [`GET ${LAYER}`]: 1 }) }),
      ],
    },
    {
      name: 'not-found',
      instance: instance('1m'),
      exchanges: [e(`GET ${NO_TAG}`), e(`GET ${NO_BLOB}`)],
      expect: [
        expect(NO_TAG, { headers_sent: client, status: 404, x_cache: 'MISS', body_sha256: sha256(rec.bytes(e(`GET ${NO_TAG}`))), ...c({ [`GET ${NO_TAG}`]: 1 }) }),
        expect(NO_TAG, { headers_sent: client, status: 404, x_cache: 'NEGATIVE', ...c({ [`GET ${NO_TAG}`]: 1 }) }),
        expect(NO_BLOB, { status: 404, x_cache: 'MISS', ...c({ [`GET ${NO_BLOB}`]: 1 }) }),
        expect(NO_BLOB, { status: 404, x_cache: 'NEGATIVE', ...c({ [`GET ${NO_BLOB}`]: 1 }) }),
        expect(`HEAD ${NO_BLOB}`, { status: 404, x_cache: 'NEGATIVE', ...c({ [`GET ${NO_BLOB}`]: 1, [`HEAD ${NO_BLOB}`]: 0 }) }),
      ],
    },
  ]);
}
