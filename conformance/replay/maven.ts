// maven mode replays, recorded from the maven fixture repository (conformance/harness/maven-repo.ts serving
// conformance/fixtures/maven/repo, which real `mvn deploy-file` wrote).
import { startMavenRepo } from '../harness/maven-repo.js';
import { record, writeScenarios, expect, sha256 } from './scenario.js';

const DEMO = '/com/example/demo/1.0.0/demo-1.0.0.jar';
const LIB = '/com/example/lib/2.0/lib-2.0.jar';
const POM = '/com/example/lib/2.0/lib-2.0.pom';
const META = '/com/example/demo/1.1-SNAPSHOT/maven-metadata.xml';
const NOPE = '/com/example/nope/1.0/nope-1.0.pom';
const HTML = '<!DOCTYPE html>\n<html><head><title>Service unavailable</title></head><body><h1>Please try again later</h1></body></html>\n';

const instance = (extra = '') => `
route: { path: /maven }
upstream: \${UPSTREAM}
${extra}`;

export async function recordMaven(): Promise<void> {
  const repo = await startMavenRepo();
  const rec = await record('maven', repo.url, [DEMO, `${DEMO}.sha1`, LIB, `${LIB}.sha1`, `${LIB}.sha512`, `${LIB}.asc`, POM, `${POM}.sha1`, META, NOPE].map((path) => ({ path })));
  await repo.fx.stop();
  const ex = (p: string) => rec.ex(`GET ${p}`);
  const c = (counts: Record<string, number>) => ({ upstream_counts: Object.fromEntries(Object.entries(counts).map(([p, n]) => [`GET ${p}`, n])) });
  const demo = rec.bytes(ex(DEMO)), demoSha1 = rec.bytes(ex(`${DEMO}.sha1`)).toString();
  const lib = rec.bytes(ex(LIB));
  writeScenarios(rec, [
    {
      // the sidecar is fetched (and stored) while the jar fills: Maven's own .sha1 request that follows is a HIT
      name: 'release-verified',
      instance: instance(),
      exchanges: [ex(DEMO), ex(`${DEMO}.sha1`)],
      expect: [
        expect(DEMO, { status: 200, x_cache: 'MISS', body_sha256: sha256(demo), ...c({ [DEMO]: 1, [`${DEMO}.sha1`]: 1 }) }),
        expect(`${DEMO}.sha1`, { status: 200, x_cache: 'HIT', body: demoSha1, headers: { 'content-type': 'text/plain' }, ...c({ [DEMO]: 1, [`${DEMO}.sha1`]: 1 }) }),
        expect(DEMO, { status: 200, x_cache: 'HIT', body_sha256: sha256(demo), ...c({ [DEMO]: 1, [`${DEMO}.sha1`]: 1 }) }),
        expect(`HEAD ${DEMO}`, { status: 200, x_cache: 'HIT', headers: { 'content-length': String(demo.length) }, ...c({ [DEMO]: 1 }) }),
      ],
    },
    {
      // a flipped byte contradicts the intact .sha1: 502, neither stored; the next attempt fetches both again
      name: 'checksum-mismatch',
      instance: instance(),
      exchanges: [{ ...ex(DEMO), fault: 'flip_byte', fault_at: 40 }, ex(DEMO), ex(`${DEMO}.sha1`)],
      expect: [
        expect(DEMO, { status: 502, x_cache: 'ERROR', ...c({ [DEMO]: 1, [`${DEMO}.sha1`]: 1 }) }),
        expect(DEMO, { status: 200, x_cache: 'MISS', body_sha256: sha256(demo), ...c({ [DEMO]: 2, [`${DEMO}.sha1`]: 2 }) }),
        expect(`${DEMO}.sha1`, { status: 200, x_cache: 'HIT', body: demoSha1, ...c({ [`${DEMO}.sha1`]: 2 }) }),
      ],
    },
    {
      // checksum_algorithms [sha512, sha1]: the stronger sidecar is the one fetched; signatures are served as they are
      name: 'sidecars',
      instance: instance('checksum_algorithms: [sha512, sha1]'),
      exchanges: [ex(LIB), ex(`${LIB}.sha512`), ex(`${LIB}.sha1`), ex(`${LIB}.asc`)],
      expect: [
        expect(LIB, { status: 200, x_cache: 'MISS', body_sha256: sha256(lib), ...c({ [LIB]: 1, [`${LIB}.sha512`]: 1, [`${LIB}.sha1`]: 0 }) }),
        expect(`${LIB}.sha512`, { status: 200, x_cache: 'HIT', body: rec.bytes(ex(`${LIB}.sha512`)).toString(), ...c({ [`${LIB}.sha512`]: 1 }) }),
        expect(`${LIB}.asc`, { status: 200, x_cache: 'MISS', body: rec.bytes(ex(`${LIB}.asc`)).toString(), ...c({ [`${LIB}.asc`]: 1 }) }),
        expect(`${LIB}.asc`, { status: 200, x_cache: 'HIT', ...c({ [`${LIB}.asc`]: 1 }) }),
      ],
    },
    {
      // snapshot metadata is revalidated on every request (metadata_fresh_for unset): a conditional GET, 304
      name: 'metadata-revalidated',
      instance: instance(),
      exchanges: [ex(META)],
      expect: [
        expect(META, { status: 200, x_cache: 'MISS', body: rec.bytes(ex(META)).toString(), headers: { 'content-type': 'text/xml' }, ...c({ [META]: 1 }) }),
        expect(META, { status: 200, x_cache: 'HIT', body: rec.bytes(ex(META)).toString(), ...c({ [META]: 2 }) }),
      ],
    },
    {
      // an HTML page answered with 200 for a POM (the recorded POM exchange with an HTML body): refused, nothing stored
      name: 'not-xml',
      instance: instance(),
      exchanges: [{ ...ex(POM), headers: { 'content-type': 'text/html; charset=utf-8' }, body: HTML, body_file: undefined }, ex(`${POM}.sha1`)],
      expect: [
        expect(POM, { status: 502, x_cache: 'ERROR', ...c({ [POM]: 1 }) }),
        expect(POM, { status: 502, x_cache: 'ERROR', ...c({ [POM]: 2 }) }),
      ],
    },
    {
      name: 'not-found-and-deploy',
      instance: instance(),
      exchanges: [ex(NOPE)],
      expect: [
        expect(NOPE, { status: 404, x_cache: 'MISS', ...c({ [NOPE]: 1 }) }),
        expect(NOPE, { status: 404, x_cache: 'NEGATIVE', ...c({ [NOPE]: 1 }) }),
        expect(`PUT ${DEMO}`, { status: 405, headers: { allow: 'GET, HEAD' }, ...c({ [DEMO]: 0 }) }),
      ],
    },
  ]);
}
