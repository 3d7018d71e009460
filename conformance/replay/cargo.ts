// cargo mode replays, recorded from the cargo fixture registry (conformance/harness/cargo-registry.ts: index
// files of conformance/fixtures/cargo/registry and crates packaged by real cargo), served from one origin so that
// the recorded config.json names the replay server for downloads too.
import { startCargoRegistry } from '../harness/cargo-registry.js';
import { record, writeScenarios, expect, sha256 } from './scenario.js';

const CONFIG = '/config.json', DEMO_INDEX = '/fx/_d/fx_demo', MIXED_INDEX = '/fx/_m/fx_mixed', MISSING_INDEX = '/no/su/nosuch', SEARCH = '/api/v1/crates';
const DEMO = '/api/v1/crates/fx_demo/0.1.0/download', MIXED = '/api/v1/crates/Fx_Mixed/0.1.0/download';

const instance = (extra = '') => `
route: { path: /cargo }
upstream: sparse+\${UPSTREAM}/
${extra}`;

export async function recordCargo(): Promise<void> {
  const reg = await startCargoRegistry(undefined, { oneOrigin: true });
  const demoFile = reg.dlPath('lowerprefix', reg.crate('fx_demo', '0.1.0')), mixedFile = reg.dlPath('lowerprefix', reg.crate('Fx_Mixed', '0.1.0'));
  const rec = await record('cargo', reg.url, [{ path: CONFIG }, { path: DEMO_INDEX }, { path: MIXED_INDEX }, { path: MISSING_INDEX }, { path: demoFile }, { path: mixedFile }, { path: `${SEARCH}?q=fx` }]);
  await reg.stop();
  const config = rec.ex(`GET ${CONFIG}`), demoIndex = rec.ex(`GET ${DEMO_INDEX}`), mixedIndex = rec.ex(`GET ${MIXED_INDEX}`);
  const demo = rec.ex(`GET ${demoFile}`), mixed = rec.ex(`GET ${mixedFile}`), demoBody = rec.bytes(demo), mixedBody = rec.bytes(mixed);
  // what cargo gets: every upstream key, downloads and the api on the proxy
  const served = JSON.parse(rec.bytes(config).toString('utf8')) as Record<string, unknown>;
  const files = { 'config.json': `${JSON.stringify({ ...served, dl: '${PROXY}/cargo/api/v1/crates/{crate}/{version}/download', api: '${PROXY}/cargo' })}\n` };
  const c = (counts: Record<string, number>) => ({ upstream_counts: counts });
  const crateCounts = (index: number, gets: number) => c({ [`GET ${CONFIG}`]: 1, [`GET ${DEMO_INDEX}`]: index, [`GET ${demoFile}`]: gets });
  writeScenarios(rec, [
    {
      name: 'index',
      instance: instance('index_fresh_for: 1m'),
      exchanges: [config, demoIndex],
      files,
      expect: [
        expect(CONFIG, { status: 200, x_cache: 'MISS', body_file: 'config.json', headers: { 'content-type': 'application/json' }, ...c({ [`GET ${CONFIG}`]: 1 }) }),
        expect('/', { status: 200, x_cache: 'FRESH', body_file: 'config.json', ...c({ [`GET ${CONFIG}`]: 1 }) }),
        expect(DEMO_INDEX, { status: 200, x_cache: 'MISS', body_sha256: sha256(rec.bytes(demoIndex)), ...c({ [`GET ${DEMO_INDEX}`]: 1 }) }),
        expect(DEMO_INDEX, { status: 200, x_cache: 'FRESH', body_sha256: sha256(rec.bytes(demoIndex)), ...c({ [`GET ${DEMO_INDEX}`]: 1 }) }),
        // the directory does not fit the name: 404 here, the upstream never asked
        expect('/fx/de/fx_demo', { status: 404, ...c({ 'GET /fx/de/fx_demo': 0 }) }),
      ],
    },
    {
      // index_fresh_for unset: the index file is revalidated (304) when a version is not in it
      name: 'crate',
      instance: instance(),
      exchanges: [config, demoIndex, demo, mixedIndex, mixed],
      expect: [
        // the cksum pin from the index file, the template from config.json, then the file from the dl template
        expect(DEMO, { status: 200, x_cache: 'MISS', body_sha256: sha256(demoBody), headers: { 'content-length': String(demoBody.length) }, ...crateCounts(1, 1) }),
        expect(DEMO, { status: 200, x_cache: 'HIT', body_sha256: sha256(demoBody), ...crateCounts(1, 1) }),
        expect(`HEAD ${DEMO}`, { status: 200, x_cache: 'HIT', headers: { 'content-length': String(demoBody.length) }, ...crateCounts(1, 1) }),
        // a version the index does not list: the index is revalidated once, then 404 without a download
        expect('/api/v1/crates/fx_demo/9.9.9/download', { status: 404, ...crateCounts(2, 1) }),
        // a mixed-case name: its lower-case index file, the file at the name as the index spells it
        expect(MIXED, { status: 200, x_cache: 'MISS', body_sha256: sha256(mixedBody), ...c({ [`GET ${MIXED_INDEX}`]: 1, [`GET ${mixedFile}`]: 1 }) }),
      ],
    },
    {
      name: 'crate-checksum',
      instance: instance(),
      exchanges: [config, demoIndex, { ...demo, fault: 'flip_byte', fault_at: 100 }, demo],
      expect: [
        // the bytes do not hash to the index cksum: 502, nothing stored
        expect(DEMO, { status: 502, x_cache: 'ERROR', ...crateCounts(1, 1) }),
        expect(DEMO, { status: 200, x_cache: 'MISS', body_sha256: sha256(demoBody), aborted: false, ...crateCounts(1, 2) }),
        expect(DEMO, { status: 200, x_cache: 'HIT', body_sha256: sha256(demoBody), ...crateCounts(1, 2) }),
      ],
    },
    {
      name: 'not-found',
      instance: instance(),
      exchanges: [rec.ex(`GET ${MISSING_INDEX}`)],
      expect: [
        expect(MISSING_INDEX, { status: 404, x_cache: 'MISS', ...c({ [`GET ${MISSING_INDEX}`]: 1 }) }),
        expect(MISSING_INDEX, { status: 404, x_cache: 'NEGATIVE', ...c({ [`GET ${MISSING_INDEX}`]: 1 }) }),
        // the crate of an unknown name: its index file (remembered 404) names no version → 404, nothing downloaded
        expect('/api/v1/crates/nosuch/1.0.0/download', { status: 404, ...c({ [`GET ${MISSING_INDEX}`]: 1 }) }),
      ],
    },
    {
      name: 'api',
      instance: instance(),
      exchanges: [config, rec.ex(`GET ${SEARCH}?q=fx`)],
      expect: [
        // search goes to the upstream api uncached; writes are refused here
        expect(`${SEARCH}?q=fx`, { status: 200, x_cache: 'BYPASS', body_sha256: sha256(rec.bytes(rec.ex(`GET ${SEARCH}?q=fx`))), ...c({ [`GET ${SEARCH}`]: 1 }) }),
        expect(`${SEARCH}?q=fx`, { status: 200, x_cache: 'BYPASS', ...c({ [`GET ${SEARCH}`]: 2 }) }),
        expect('PUT /api/v1/crates/new', { status: 405, body: '{"errors":[{"detail":"read-only caching proxy; publish to the upstream registry"}]}\n', ...c({ 'PUT /api/v1/crates/new': 0 }) }),
      ],
    },
  ]);
}
