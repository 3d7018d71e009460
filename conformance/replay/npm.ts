// npm mode replays, recorded from the npm fixture registry (conformance/harness/npm-registry.ts: packuments
// and real `npm pack` tarballs of conformance/fixtures/npm/registry), both Accept classes.
import { startNpmRegistry } from '../harness/npm-registry.js';
import { INSTALL_V1, FULL } from '../../modes/npm/accept.js';
import { record, writeScenarios, expect, sha256 } from './scenario.js';

const SCOPED = '/@fx%2fdemo', UNSCOPED = '/fx-ansi', MISSING = '/fx-nosuch';
const TGZ = '/@fx/demo/-/demo-1.0.0.tgz', MISSING_TGZ = '/fx-nosuch/-/fx-nosuch-1.0.0.tgz';
const full = { accept: FULL }, abbrev = { accept: INSTALL_V1 };

const instance = (extra = '') => `
route: { path: /npm }
upstream: \${UPSTREAM}
${extra}`;

export async function recordNpm(): Promise<void> {
  const reg = await startNpmRegistry();
  const rec = await record('npm', reg.url, [
    { path: SCOPED, headers: full }, { path: SCOPED, headers: abbrev }, { path: UNSCOPED, headers: full }, { path: UNSCOPED, headers: abbrev },
    { path: TGZ }, { method: 'HEAD', path: TGZ },
    { path: MISSING, headers: full }, { path: MISSING, headers: abbrev }, { path: MISSING_TGZ },
  ]);
  await reg.stop();
  const doc = { scopedFull: rec.ex(`GET ${SCOPED}`, full), scopedAbbrev: rec.ex(`GET ${SCOPED}`, abbrev), unscopedFull: rec.ex(`GET ${UNSCOPED}`, full), unscopedAbbrev: rec.ex(`GET ${UNSCOPED}`, abbrev) };
  // what a client gets: the upstream document byte for byte, but tarball URLs on the proxy
  const files: Record<string, string> = {};
  for (const [name, e] of Object.entries(doc)) files[`${name}.json`] = rec.bytes(e).toString('utf8').split('${UPSTREAM}').join('${PROXY}/npm');
  const tgz = rec.ex(`GET ${TGZ}`), tgzBody = rec.bytes(tgz);
  const c = (counts: Record<string, number>) => ({ upstream_counts: counts });
  const tarballCounts = (docs: number, gets: number, heads = 0) => c({ [`GET ${SCOPED}`]: docs, [`GET ${TGZ}`]: gets, [`HEAD ${TGZ}`]: heads });
  writeScenarios(rec, [
    {
      name: 'packuments',
      instance: instance('metadata_fresh_for: 1m'),
      exchanges: Object.values(doc),
      files,
      expect: [
        expect(SCOPED, { status: 200, x_cache: 'MISS', body_file: 'scopedFull.json', headers: { 'content-type': 'application/json', vary: 'Accept' }, ...c({ [`GET ${SCOPED}`]: 1 }) }),
        expect(SCOPED, { headers_sent: abbrev, status: 200, x_cache: 'MISS', body_file: 'scopedAbbrev.json', headers: { 'content-type': 'application/vnd.npm.install-v1+json', vary: 'Accept' }, ...c({ [`GET ${SCOPED}`]: 2 }) }),
        // `@fx/demo` is `@fx%2fdemo`; each Accept class is its own cached representation
        expect('/@fx/demo', { headers_sent: { accept: 'application/vnd.npm.install-v1+json' }, status: 200, x_cache: 'FRESH', body_file: 'scopedAbbrev.json', ...c({ [`GET ${SCOPED}`]: 2 }) }),
        expect(SCOPED, { headers_sent: { accept: 'application/json' }, status: 200, x_cache: 'FRESH', body_file: 'scopedFull.json', ...c({ [`GET ${SCOPED}`]: 2 }) }),
        expect(UNSCOPED, { status: 200, x_cache: 'MISS', body_file: 'unscopedFull.json', ...c({ [`GET ${UNSCOPED}`]: 1 }) }),
        expect(UNSCOPED, { headers_sent: abbrev, status: 200, x_cache: 'MISS', body_file: 'unscopedAbbrev.json', ...c({ [`GET ${UNSCOPED}`]: 2 }) }),
        expect(`HEAD ${UNSCOPED}`, { status: 200, x_cache: 'FRESH', body_file: 'unscopedFull.json', ...c({ [`GET ${UNSCOPED}`]: 2, [`HEAD ${UNSCOPED}`]: 0 }) }),
      ],
    },
    {
      // metadata_fresh_for unset: every packument request once stored is a conditional GET (304 → HIT)
      name: 'tarball',
      instance: instance(),
      exchanges: [doc.scopedAbbrev, tgz],
      files: { 'scopedAbbrev.json': files['scopedAbbrev.json']! },
      expect: [
        // the tarball's pins (integrity) come from the abbreviated packument, fetched first
        expect(TGZ, { status: 200, x_cache: 'MISS', body_sha256: sha256(tgzBody), headers: { 'content-length': String(tgzBody.length) }, ...tarballCounts(1, 1) }),
        expect(TGZ, { status: 200, x_cache: 'HIT', body_sha256: sha256(tgzBody), ...tarballCounts(1, 1) }),
        expect(`HEAD ${TGZ}`, { status: 200, x_cache: 'HIT', headers: { 'content-length': String(tgzBody.length) }, ...tarballCounts(1, 1) }),
        expect(SCOPED, { headers_sent: abbrev, status: 200, x_cache: 'HIT', body_file: 'scopedAbbrev.json', ...tarballCounts(2, 1) }),
      ],
    },
    {
      name: 'tarball-integrity',
      instance: instance(),
      exchanges: [doc.scopedAbbrev, { ...tgz, fault: 'flip_byte', fault_at: 200 }, tgz],
      expect: [
        // the bytes do not match the packument's integrity: 502, nothing stored
        expect(TGZ, { status: 502, x_cache: 'ERROR', ...tarballCounts(1, 1) }),
        expect(TGZ, { status: 200, x_cache: 'MISS', body_sha256: sha256(tgzBody), aborted: false, ...tarballCounts(1, 2) }),
        expect(TGZ, { status: 200, x_cache: 'HIT', body_sha256: sha256(tgzBody), ...tarballCounts(1, 2) }),
      ],
    },
    {
      name: 'head-miss',
      instance: instance(),
      exchanges: [doc.scopedAbbrev, rec.ex(`HEAD ${TGZ}`), tgz],
      expect: [
        // a HEAD miss: the pins first, then one upstream HEAD; nothing stored
        expect(`HEAD ${TGZ}`, { status: 200, x_cache: 'MISS', headers: { 'content-length': String(tgzBody.length) }, ...tarballCounts(1, 0, 1) }),
        expect(TGZ, { status: 200, x_cache: 'MISS', body_sha256: sha256(tgzBody), ...tarballCounts(1, 1, 1) }),
        expect(`HEAD ${TGZ}`, { status: 200, x_cache: 'HIT', headers: { 'content-length': String(tgzBody.length) }, ...tarballCounts(1, 1, 1) }),
      ],
    },
    {
      name: 'not-found',
      instance: instance(),
      exchanges: [rec.ex(`GET ${MISSING}`, full), rec.ex(`GET ${MISSING}`, abbrev), rec.ex(`GET ${MISSING_TGZ}`)],
      expect: [
        expect(MISSING, { status: 404, x_cache: 'MISS', ...c({ [`GET ${MISSING}`]: 1 }) }),
        expect(MISSING, { status: 404, x_cache: 'NEGATIVE', ...c({ [`GET ${MISSING}`]: 1 }) }),
        expect(`HEAD ${MISSING}`, { status: 404, x_cache: 'NEGATIVE', ...c({ [`GET ${MISSING}`]: 1, [`HEAD ${MISSING}`]: 0 }) }),
        // a tarball of an unknown package: its packument (404) is asked for the pins, then the registry's layout
        expect(MISSING_TGZ, { status: 404, x_cache: 'MISS', ...c({ [`GET ${MISSING}`]: 2, [`GET ${MISSING_TGZ}`]: 1 }) }),
        expect(MISSING_TGZ, { status: 404, x_cache: 'NEGATIVE', ...c({ [`GET ${MISSING}`]: 2, [`GET ${MISSING_TGZ}`]: 1 }) }),
      ],
    },
  ]);
}
