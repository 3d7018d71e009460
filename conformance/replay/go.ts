// go mode replays, recorded from the go fixture upstreams (conformance/harness/go-upstreams.ts): G1 and G2 serving
// the GOPROXY directories gofx wrote, and sumdbfx, a real checksum database over both. One recording origin
// serves them under /g1, /g2 and /db, so each scenario's instance names the replay server three times.
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { startGoUpstreams, centralName, SUMDB_NAME } from '../harness/go-upstreams.js';
import { GO_FIXTURE_DIR } from '../harness/go-tools.js';
import { record, writeScenarios, expect, sha256 } from './scenario.js';

const DEMO = '/example.com/fx/demo/@v/v1.0.0', UPPER = '/example.com/fx/!upper/@v/v1.0.0', ONLY2 = '/example.com/fx/only2/@v/v1.0.0', NOPE = '/example.com/fx/nope/@v/v1.0.0';
const LOOKUP = `/lookup/example.com/fx/demo@v1.0.0`, LOOKUP_UPPER = '/lookup/example.com/fx/!upper@v1.0.0', TILE = '/tile/8/0/000.p/2';
const DB = `/sumdb/${SUMDB_NAME}`;

/** one origin in front of several: /<prefix>/rest → base/rest */
async function combined(routes: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const s = createServer((req, res) => {
    const [, prefix, ...rest] = (req.url ?? '/').split('/');
    const base = routes[prefix ?? ''];
    if (!base) { res.writeHead(404).end(); return; }
    const up = request(`${base}/${rest.join('/')}`, { method: req.method, headers: { ...req.headers, host: new URL(base).host } }, (r) => { res.writeHead(r.statusCode ?? 502, r.headers); r.pipe(res); });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, close: () => new Promise((r) => { s.closeAllConnections(); s.close(() => r()); }) };
}

export async function recordGo(): Promise<void> {
  const up = await startGoUpstreams();
  const origin = await combined({ g1: up.g1.url, g2: up.g2.url, db: up.s.url });
  const g1 = (p: string) => `/g1${p}`, g2 = (p: string) => `/g2${p}`, db = (p: string) => `/db${p}`;
  const rec = await record('go', origin.url, [
    ...['.info', '.mod', '.zip'].map((x) => ({ path: g1(`${DEMO}${x}`) })),
    ...['.info', '.mod', '.zip'].map((x) => ({ path: g1(`${UPPER}${x}`) })),
    { path: g1(ONLY2 + '.info') }, { path: g2(ONLY2 + '.info') }, { path: g1(NOPE + '.info') }, { path: g2(NOPE + '.info') },
    { path: g1('/example.com/fx/demo/@v/list') }, { path: g1('/example.com/fx/demo/@latest') }, { path: g1('/example.com/fx/demo/@v/master.info') },
    { path: db(LOOKUP) }, { path: db(LOOKUP_UPPER) }, { path: db(TILE) }, { path: db('/latest') },
  ]);
  await origin.close();
  const instance = (extra = '') => `
route: { path: /go }
proxies: ["\${UPSTREAM}/g1", "\${UPSTREAM}/g2"]
sumdb: { enabled: true, name: ${SUMDB_NAME}, url: "\${UPSTREAM}/db", key: "${up.vkey}" }
${extra}`;
  const ex = (p: string) => rec.ex(`GET ${p}`);
  const zip = ex(g1(`${DEMO}.zip`)), zipBody = rec.bytes(zip);
  const counts = (c: Record<string, number>) => ({ upstream_counts: Object.fromEntries(Object.entries(c).map(([k, n]) => [`GET ${k}`, n])) });
  const files = (c: { zip?: number; mod?: number; info?: number; lookup?: number }) => counts({ [g1(`${DEMO}.zip`)]: c.zip ?? 0, [g1(`${DEMO}.mod`)]: c.mod ?? 0, [g1(`${DEMO}.info`)]: c.info ?? 0, [db(LOOKUP)]: c.lookup ?? 0 });
  writeScenarios(rec, [
    {
      // a zip and a .mod are stored once their h1 matches the checksum database's record, fetched once and shared
      name: 'module-files',
      instance: instance(),
      exchanges: [ex(g1(`${DEMO}.info`)), ex(g1(`${DEMO}.mod`)), zip, ex(db(LOOKUP)), ...['.info', '.mod', '.zip'].map((x) => ex(g1(`${UPPER}${x}`))), ex(db(LOOKUP_UPPER))],
      expect: [
        expect(`${DEMO}.zip`, { status: 200, x_cache: 'MISS', body_sha256: sha256(zipBody), ...files({ zip: 1, lookup: 1 }) }),
        expect(`${DEMO}.zip`, { status: 200, x_cache: 'HIT', body_sha256: sha256(zipBody), ...files({ zip: 1, lookup: 1 }) }),
        expect(`${DEMO}.mod`, { status: 200, x_cache: 'MISS', body_sha256: sha256(rec.bytes(ex(g1(`${DEMO}.mod`)))), ...files({ zip: 1, mod: 1, lookup: 1 }) }),
        expect(`${DEMO}.info`, { status: 200, x_cache: 'MISS', ...files({ zip: 1, mod: 1, info: 1, lookup: 1 }) }),
        expect(`${DEMO}.info`, { status: 200, x_cache: 'HIT', ...files({ zip: 1, mod: 1, info: 1, lookup: 1 }) }),
        // the client's own lookup is the one the proxy fetched
        expect(`${DB}${LOOKUP}`, { status: 200, x_cache: 'HIT', body_sha256: sha256(rec.bytes(ex(db(LOOKUP)))), ...files({ zip: 1, mod: 1, info: 1, lookup: 1 }) }),
        // a case-encoded module path goes upstream as sent
        expect(`${UPPER}.zip`, { status: 200, x_cache: 'MISS', ...counts({ [g1(`${UPPER}.zip`)]: 1, [db(LOOKUP_UPPER)]: 1 }) }),
        expect(`${UPPER}.zip`, { status: 200, x_cache: 'HIT', ...counts({ [g1(`${UPPER}.zip`)]: 1, [db(LOOKUP_UPPER)]: 1 }) }),
      ],
    },
    {
      name: 'zip-mismatch',
      instance: instance(),
      exchanges: [ex(db(LOOKUP)), { ...zip, fault: 'flip_byte', fault_at: centralName(join(GO_FIXTURE_DIR, 'g1', `${DEMO}.zip`)).last }, zip],
      expect: [
        // one flipped byte in an entry name: the h1 differs from the record → 502, nothing stored
        expect(`${DEMO}.zip`, { status: 502, x_cache: 'ERROR', ...files({ zip: 1, lookup: 1 }) }),
        expect(`${DEMO}.zip`, { status: 200, x_cache: 'MISS', body_sha256: sha256(zipBody), ...files({ zip: 2, lookup: 1 }) }),
        expect(`${DEMO}.zip`, { status: 200, x_cache: 'HIT', ...files({ zip: 2, lookup: 1 }) }),
      ],
    },
    {
      // the proxies are a GOPROXY list: a 404 moves on; the last 404 is the client's, and remembered
      name: 'proxy-chain',
      instance: instance(),
      exchanges: [ex(g1(ONLY2 + '.info')), ex(g2(ONLY2 + '.info')), ex(g1(NOPE + '.info')), ex(g2(NOPE + '.info'))],
      expect: [
        expect(`${ONLY2}.info`, { status: 200, x_cache: 'MISS', body_sha256: sha256(rec.bytes(ex(g2(ONLY2 + '.info')))), ...counts({ [g1(ONLY2 + '.info')]: 1, [g2(ONLY2 + '.info')]: 1 }) }),
        expect(`${ONLY2}.info`, { status: 200, x_cache: 'HIT', ...counts({ [g1(ONLY2 + '.info')]: 1, [g2(ONLY2 + '.info')]: 1 }) }),
        expect(`${NOPE}.info`, { status: 404, x_cache: 'MISS', body: rec.bytes(ex(g2(NOPE + '.info'))).toString(), ...counts({ [g1(NOPE + '.info')]: 1, [g2(NOPE + '.info')]: 1 }) }),
        expect(`${NOPE}.info`, { status: 404, x_cache: 'NEGATIVE', ...counts({ [g1(NOPE + '.info')]: 1, [g2(NOPE + '.info')]: 1 }) }),
        // no module protocol shape, an invalid path: 404 without upstream contact
        expect('/example.com/fx/Demo/@v/list', { status: 404, ...counts({ [g1('/example.com/fx/Demo/@v/list')]: 0 }) }),
      ],
    },
    {
      name: 'lists-and-queries',
      instance: instance('module_fresh_for: 1m'),
      exchanges: [ex(g1('/example.com/fx/demo/@v/list')), ex(g1('/example.com/fx/demo/@latest')), ex(g1('/example.com/fx/demo/@v/master.info'))],
      expect: [
        expect('/example.com/fx/demo/@v/list', { status: 200, x_cache: 'MISS', body: 'v1.0.0\nv1.1.0\n', ...counts({ [g1('/example.com/fx/demo/@v/list')]: 1 }) }),
        expect('/example.com/fx/demo/@v/list', { status: 200, x_cache: 'FRESH', ...counts({ [g1('/example.com/fx/demo/@v/list')]: 1 }) }),
        expect('/example.com/fx/demo/@latest', { status: 200, x_cache: 'MISS', ...counts({ [g1('/example.com/fx/demo/@latest')]: 1 }) }),
        // a query is the upstream's to resolve: passed through every time
        expect('/example.com/fx/demo/@v/master.info', { status: 200, x_cache: 'BYPASS', ...counts({ [g1('/example.com/fx/demo/@v/master.info')]: 1 }) }),
        expect('/example.com/fx/demo/@v/master.info', { status: 200, x_cache: 'BYPASS', ...counts({ [g1('/example.com/fx/demo/@v/master.info')]: 2 }) }),
      ],
    },
    {
      name: 'checksum-database',
      instance: instance(),
      exchanges: [ex(db(LOOKUP)), ex(db(LOOKUP_UPPER)), ex(db(TILE)), ex(db('/latest'))],
      expect: [
        // `supported` is answered by the proxy itself
        expect(`${DB}/supported`, { status: 200, body: '', ...counts({ [db('/supported')]: 0 }) }),
        expect('/sumdb/other.example/supported', { status: 404, ...counts({ [db('/supported')]: 0 }) }),
        expect(`${DB}${TILE}`, { status: 200, x_cache: 'MISS', body_sha256: sha256(rec.bytes(ex(db(TILE)))), ...counts({ [db(TILE)]: 1 }) }),
        expect(`${DB}${TILE}`, { status: 200, x_cache: 'HIT', ...counts({ [db(TILE)]: 1 }) }),
        expect(`${DB}/latest`, { status: 200, x_cache: 'MISS', ...counts({ [db('/latest')]: 1 }) }),
        expect(`${DB}/latest`, { status: 200, x_cache: 'FRESH', ...counts({ [db('/latest')]: 1 }) }),
      ],
    },
  ]);
}
