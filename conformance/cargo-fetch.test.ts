// Real cargo against the cargo mode (C1–C9): a fixture sparse registry (index origin U, download origin D)
// made of crates packaged by real cargo, the proxy at H = <proxy>/cargo, cargo with a private CARGO_HOME per run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanupAll, curl, httpGet, startCargoRegistry, SEARCH_ANSWER, type CargoRegistry, type DlVariant } from './index.js';
import { cargo, cargoApp, cargoAvailable, lockChecksums, metricValue, namedRegistry, replaceCratesIo, startCargoProxy } from './harness/cargo-client.js';

const available = cargoAvailable();
if (!available) console.log('cargo not on PATH: the cargo real-client rows C1–C9 cannot run here');
const it = available ? test : test.skip;

/** what the fixture app resolves to: every fixture crate, fx_demo 0.1.0 (0.1.1 is yanked) */
const RESOLVED = [['a', '0.1.0'], ['ab', '0.1.0'], ['abc', '0.1.0'], ['fx_demo', '0.1.0'], ['Fx_Mixed', '0.1.0'], ['fx_app_dep', '0.1.0']] as const;
const INDEX_FILES = ['/1/a', '/2/ab', '/3/a/abc', '/fx/_d/fx_demo', '/fx/_m/fx_mixed', '/fx/_a/fx_app_dep'];

function assertFetched(r: { code: number; stderr: string }, what: string): void {
  assert.is(r.code, 0, `${what}: cargo fetch failed:\n${r.stderr}`);
}

function assertLock(reg: CargoRegistry, app: string): void {
  const sums = lockChecksums(app);
  assert.is(sums.size, RESOLVED.length, [...sums.keys()].join(' '));
  for (const [name, vers] of RESOLVED) assert.is(sums.get(`${name}@${vers}`), reg.crate(name, vers).cksum, `${name}@${vers}`);
}

const downloadPaths = (reg: CargoRegistry, from = 0) => reg.downloads().slice(from).map((r) => r.path).sort();

test.after.each(cleanupAll);

it('C1 cold and C2 warm (index_fresh_for unset): one GET per file upstream; warm only 304s, no crate', async () => {
  const reg = await startCargoRegistry();
  const { proxy, H } = await startCargoProxy(reg.url);
  const app = cargoApp(replaceCratesIo(`sparse+${H}/`));
  assertFetched(await cargo(['fetch'], app), 'C1');
  assertLock(reg, app);
  assert.is(reg.u.count('GET', '/config.json'), 1, 'config.json once');
  for (const p of INDEX_FILES) assert.is(reg.u.count('GET', p), 1, `${p} once`);
  assert.equal(downloadPaths(reg), RESOLVED.map(([n, v]) => reg.dlPath('lowerprefix', reg.crate(n, v))).sort(), 'each .crate once, from D');
  assert.is(reg.u.requests.length, 1 + INDEX_FILES.length, 'nothing else upstream');

  const seenU = reg.u.requests.length, seenD = reg.d.requests.length;
  const warm = cargoApp(replaceCratesIo(`sparse+${H}/`));
  assertFetched(await cargo(['fetch'], warm), 'C2 warm');
  assertLock(reg, warm);
  assert.is(reg.d.requests.length, seenD, 'no .crate requests');
  const again = reg.u.requests.slice(seenU);
  assert.ok(again.length > 0);
  for (const r of again) assert.ok(r.headers['if-none-match'] || r.headers['if-modified-since'], `${r.path}: a conditional GET (answered 304)`);
  assert.is(await metricValue(proxy.url, 'cache_proxy_requests_total', { instance: 'cargo', kind: 'crate', cache: 'HIT' }), RESOLVED.length);
});

it('C2 warm with index_fresh_for: 10m: 0 upstream requests', async () => {
  const reg = await startCargoRegistry();
  const { H } = await startCargoProxy(reg.url, '      index_fresh_for: 10m');
  assertFetched(await cargo(['fetch'], cargoApp(replaceCratesIo(`sparse+${H}/`))), 'cold');
  const seen = reg.u.requests.length + reg.d.requests.length;
  const warm = cargoApp(replaceCratesIo(`sparse+${H}/`));
  assertFetched(await cargo(['fetch'], warm), 'warm');
  assertLock(reg, warm);
  assert.is(reg.u.requests.length + reg.d.requests.length, seen, '0 upstream requests');
});

for (const variant of ['markerless', 'prefix', 'checksum'] as DlVariant[]) {
  it(`C3 ${variant} dl template: D sees exactly the URLs cargo itself builds`, async () => {
    const reg = await startCargoRegistry();
    reg.setConfig(variant);
    assertFetched(await cargo(['fetch'], cargoApp(replaceCratesIo(`sparse+${reg.url}/`))), 'cargo straight from U');
    const direct = downloadPaths(reg);
    assert.is(direct.length, RESOLVED.length);
    const { H } = await startCargoProxy(reg.url);
    const app = cargoApp(replaceCratesIo(`sparse+${H}/`));
    assertFetched(await cargo(['fetch'], app), 'through the proxy');
    assertLock(reg, app);
    assert.equal(downloadPaths(reg, direct.length), direct);
  });
}

it('C4 outage: U and D stopped, a fresh cargo home is served (index STALE, crates HIT)', async () => {
  const reg = await startCargoRegistry();
  const { proxy, H } = await startCargoProxy(reg.url);
  assertFetched(await cargo(['fetch'], cargoApp(replaceCratesIo(`sparse+${H}/`))), 'warm-up');
  await reg.stop();
  const app = cargoApp(replaceCratesIo(`sparse+${H}/`));
  assertFetched(await cargo(['fetch'], app), 'during the outage');
  assertLock(reg, app);
  assert.ok(await metricValue(proxy.url, 'cache_proxy_requests_total', { instance: 'cargo', kind: 'index', cache: 'STALE' }) >= INDEX_FILES.length, 'index files STALE');
  assert.is(await metricValue(proxy.url, 'cache_proxy_requests_total', { instance: 'cargo', kind: 'crate', cache: 'HIT' }), RESOLVED.length, 'crates HIT');
});

it('C5 corrupt: a flipped byte fails cargo on fx_demo, nothing stored, one verify failure', async () => {
  const reg = await startCargoRegistry();
  const demo = reg.crate('fx_demo', '0.1.0');
  reg.d.fault(reg.dlPath('lowerprefix', demo), { flip_byte: 100 });
  const { proxy, H } = await startCargoProxy(reg.url);
  const r = await cargo(['fetch'], cargoApp(replaceCratesIo(`sparse+${H}/`)));
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /fx_demo/);
  const failures = () => metricValue(proxy.url, 'cache_proxy_verify_failures_total', { instance: 'cargo', kind: 'crate' });
  assert.is(await failures(), 1);
  const again = await httpGet(`${H}/api/v1/crates/fx_demo/0.1.0/download`);
  assert.is(again.status, 502);
  assert.match(again.body.toString(), new RegExp(`checksum mismatch for fx_demo@0\\.1\\.0: index cksum ${demo.cksum}, upstream sent [0-9a-f]{64}; nothing was cached`));
  assert.is(await failures(), 2, 'not stored: fetched and refused again');
  reg.d.clearFaults();
  const good = await httpGet(`${H}/api/v1/crates/fx_demo/0.1.0/download`);
  assert.is(good.status, 200);
  assert.is(good.sha256, demo.cksum);
  assert.is(good.headers['x-cache'], 'MISS', 'no entry was left by the corrupt fills');
});

it('C6 config.json: dl and api through the proxy, unknown keys kept; C9 bad paths: 404 and 400, no upstream contact', async () => {
  const reg = await startCargoRegistry();
  const { H } = await startCargoProxy(reg.url);
  const r = await httpGet(`${H}/config.json`);
  assert.is(r.status, 200);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const doc = JSON.parse(r.body.toString()) as Record<string, unknown>;
  assert.is(doc.dl, `${H}/api/v1/crates/{crate}/{version}/download`);
  assert.is(doc.api, H);
  assert.is(doc['x-fixture-note'], 'unknown keys are kept');
  assert.not.ok('auth-required' in doc);
  assert.match(String(r.headers.etag), /^W\//);
  const head = await httpGet(`${H}/config.json`, { method: 'HEAD' });
  assert.is(head.headers['content-length'], String(r.body.length), 'HEAD length = GET length');
  const root = await httpGet(`${H}/`);
  assert.is(root.body.toString(), r.body.toString(), '/ is config.json');

  const seen = reg.u.requests.length + reg.d.requests.length;
  assert.is((await httpGet(`${H}/fx/de/fx_demo`)).status, 404);
  assert.is((await httpGet(`${H}/2/abc`)).status, 404);
  const dots = await curl(['-s', '-o', '/dev/null', '-w', '%{http_code}', '--path-as-is', `${H}/../x`]);
  assert.is(dots.stdout, '400');
  assert.is(reg.u.requests.length + reg.d.requests.length, seen, '0 upstream requests');

  // 404 and 451 from the index: passed through and remembered
  reg.u.set('/2/zz', { status: 451, body: 'unavailable for legal reasons' });
  for (const [path, status] of [['/2/zz', 451], ['/2/no', 404]] as const) {
    assert.is((await httpGet(`${H}${path}`)).status, status);
    assert.is((await httpGet(`${H}${path}`)).status, status);
    assert.is(reg.u.count('GET', path), 1, `${path}: negatively cached`);
  }

  // an HTML page answered 200 for an index file: 502, not stored (asked again, fetched again)
  reg.u.set('/3/h/htm', { body: '<html><body>maintenance</body></html>', headers: { 'content-type': 'text/html' } });
  for (let i = 1; i <= 2; i++) {
    const bad = await httpGet(`${H}/3/h/htm`);
    assert.is(bad.status, 502);
    assert.match(bad.body.toString(), /not JSON; nothing was cached/);
    assert.is(reg.u.count('GET', '/3/h/htm'), i);
  }

  // an unknown version: the index file is revalidated once, then 404 without a download
  const unknown = await httpGet(`${H}/api/v1/crates/fx_demo/9.9.9/download`);
  assert.is(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body.toString()), { errors: [{ detail: 'no version 9.9.9 of crate fx_demo in the index' }] });
  assert.is(reg.u.count('GET', '/fx/_d/fx_demo'), 1);
  assert.is(reg.d.requests.length, 0);

  // a download asked first on a fresh proxy: its index file and config.json are fetched for it, the file from D
  const fresh = await startCargoProxy(reg.url);
  const abc = await httpGet(`${fresh.H}/api/v1/crates/abc/0.1.0/download`);
  assert.is(abc.status, 200);
  assert.is(abc.sha256, reg.crate('abc', '0.1.0').cksum);
  assert.equal(reg.downloads().map((r) => r.path), [reg.dlPath('lowerprefix', reg.crate('abc', '0.1.0'))]);

  // concurrent misses of one crate share one download (busy: join)
  const ab = reg.crate('ab', '0.1.0'), abPath = reg.dlPath('lowerprefix', ab);
  reg.d.fault(abPath, { delay_ms: 500, once: true });
  const both = await Promise.all([1, 2, 3].map(() => httpGet(`${fresh.H}/api/v1/crates/ab/0.1.0/download`)));
  for (const x of both) { assert.is(x.status, 200); assert.is(x.sha256, ab.cksum); }
  assert.is(reg.d.count('GET', abPath), 1, 'one upstream GET for three clients');
});

it('C7 auth: a cargo token checked against access.tokens, a wrong one refused, never forwarded upstream', async () => {
  const reg = await startCargoRegistry();
  reg.setConfig('lowerprefix', { token: 'upstream-tok' });
  const { H } = await startCargoProxy(reg.url, '      auth_required: true\n      auth: { type: bearer, token: upstream-tok }', '    access: { tokens: [s3cret] }');
  const app = cargoApp(namedRegistry(`sparse+${H}/`, true), ['fx_demo = { version = "0.1", registry = "cache" }']);
  assertFetched(await cargo(['fetch'], app, { CARGO_REGISTRIES_CACHE_TOKEN: 's3cret' }), 'right token');
  assert.is(lockChecksums(app).get('fx_demo@0.1.0'), reg.crate('fx_demo', '0.1.0').cksum);
  const wrong = await cargo(['fetch'], cargoApp(namedRegistry(`sparse+${H}/`, true), ['fx_demo = { version = "0.1", registry = "cache" }']), { CARGO_REGISTRIES_CACHE_TOKEN: 'wrong' });
  assert.is.not(wrong.code, 0);
  assert.match(wrong.stderr, /401/);
  const challenge = await httpGet(`${H}/fx/_d/fx_demo`);
  assert.is(challenge.status, 401);
  assert.is(challenge.headers['www-authenticate'], `Cargo login_url="${H}/"`);
  assert.equal(JSON.parse(challenge.body.toString()), { errors: [{ detail: 'credentials required' }] });
  for (const r of [...reg.u.requests, ...reg.d.requests]) {
    assert.not.ok(Object.values(r.headers).some((v) => v.includes('s3cret') || v.includes('wrong')), `${r.path}: no client token upstream`);
  }
  assert.ok(reg.u.requests.every((r) => r.headers.authorization === 'Bearer upstream-tok'), 'U got the configured upstream auth');
  assert.ok(reg.d.requests.every((r) => r.headers.authorization === undefined), 'D got no auth (auth_downloads: false)');
});

it('C8 api: cargo search answered by the upstream api; cargo publish refused with the JSON message, upstream got nothing', async () => {
  const reg = await startCargoRegistry();
  const { H } = await startCargoProxy(reg.url);
  const app = cargoApp(namedRegistry(`sparse+${H}/`), [], 'fx_pub');
  const search = await cargo(['search', 'fx', '--registry', 'cache'], app);
  assert.is(search.code, 0, search.stderr);
  assert.match(search.stdout, new RegExp(`${SEARCH_ANSWER.crates[0]!.name} = "0\\.1\\.0"`));
  assert.is(reg.u.count('GET', '/api/v1/crates'), 1);
  const publish = await cargo(['publish', '--registry', 'cache', '--no-verify', '--allow-dirty'], app, { CARGO_REGISTRIES_CACHE_TOKEN: 'any' });
  assert.is.not(publish.code, 0);
  assert.match(publish.stderr, /read-only caching proxy; publish to the upstream registry/);
  assert.ok(reg.u.requests.every((r) => r.method === 'GET'), 'no write reached the upstream');
  assert.is(reg.d.requests.length, 0);
});

test.run();
