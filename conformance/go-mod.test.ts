// The real go command (1.19 from bookworm, 1.23 from bookworm-backports) through the go mode, against proxy
// origins G1/G2 serving GOPROXY directories made by gofx and a real checksum database (sumdbfx). Rows G1–G11.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, httpGet, tmpDir, type ProxyHandle } from './index.js';
import { goBinary, GO_FIXTURE_DIR, type GoVersion } from './harness/go-tools.js';
import { centralName, SUMDB_NAME, startGoProxy, startGoUpstreams, type GoUpstreams } from './harness/go-upstreams.js';
import { goApp, goEnv, goRun } from './harness/go-client.js';

const metric = async (proxy: ProxyHandle, line: RegExp) => Number(line.exec((await httpGet(`${proxy.url}/metrics`)).body.toString())?.[1] ?? 0);
/** every stored key of the go instance */
function storedKeys(proxy: ProxyHandle): string[] {
  const dir = join(proxy.backend, 'entries', 'go');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((s) => readdirSync(join(dir, s)).map((f) => (JSON.parse(readFileSync(join(dir, s, f), 'utf8')) as { key: string }).key));
}
/** whether a key ending in `suffix` is stored; commits follow the responses, so this waits for one (generous bound) */
async function stored(proxy: ProxyHandle, suffix: string): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < 15_000; await new Promise((r) => setTimeout(r, 50))) if (storedKeys(proxy).some((k) => k.endsWith(suffix))) return true;
  return false;
}
const MODULE_FILES = ['example.com/fx/demo/@v/v1.0.0', 'example.com/fx/!upper/@v/v1.0.0'];

/** `go mod download && go mod verify` in a fresh copy of the app with a fresh GOPATH */
async function download(go: string, X: string, gosumdb: string) {
  const app = goApp();
  const env = goEnv({ go, goproxy: X, gosumdb });
  const dl = await goRun(go, ['mod', 'download'], app, env);
  const verify = dl.code === 0 ? await goRun(go, ['mod', 'verify'], app, env) : dl;
  return { dl, verify, app, env };
}

function usable(v: GoVersion): string | null {
  const go = goBinary(v);
  if (!go) console.log(`  go ${v} not installed: skipped (fails under CI)`);
  return go;
}

const VERSIONS: GoVersion[] = ['1.19', '1.23'];
const FRESH = '      module_fresh_for: 10m\n      sumdb_fresh_for: 10m';

/** a proxy warmed by one cold G1 run, its upstream counters reset */
async function warmed(go: string, o: { go?: string } = {}) {
  const up = await startGoUpstreams();
  const { proxy, X } = await startGoProxy(up, { go: o.go ?? FRESH });
  const cold = await download(go, X, up.vkey);
  assert.is(cold.verify.code, 0, cold.dl.stderr + cold.verify.stderr);
  up.g1.requests.length = 0; up.g2.requests.length = 0; up.s.reset();
  return { up, proxy, X };
}

for (const v of VERSIONS) {
  test(`G1 cold (go ${v}): download + verify pass; G1 saw each .info/.mod/.zip once; S saw lookups and tiles once, no supported`, async () => {
    const go = usable(v);
    if (!go) return;
    const up = await startGoUpstreams();
    const { proxy, X } = await startGoProxy(up);
    const { dl, verify } = await download(go, X, up.vkey);
    assert.is(dl.code, 0, dl.stderr);
    assert.is(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /all modules verified/);
    for (const f of MODULE_FILES) for (const ext of ['.info', '.mod', '.zip']) assert.is(up.g1.count('GET', `/${f}${ext}`), 1, `G1 saw ${f}${ext} once`);
    for (const r of up.s.requests) assert.is(up.s.count({ path: r.path }), 1, `S saw ${r.path} once`);
    assert.is(up.s.count({ path: /^\/lookup\/example\.com\/fx\/(demo|!upper)@v1\.0\.0$/ }), 2, 'one lookup per module, through the proxy');
    assert.ok(up.s.count({ path: /^\/tile\// }) >= 1, 'tiles through the proxy');
    assert.is(up.s.count({ path: /supported/ }), 0);
    for (const f of MODULE_FILES) for (const ext of ['.info', '.mod', '.zip']) assert.ok(await stored(proxy, `${f}${ext}`), `${f}${ext} stored`);
    assert.is(await metric(proxy, /^cache_proxy_verify_failures_total\{instance="go"[^}]*\} (\d+)/m), 0);
  });

  test(`G2 warm (go ${v}): a new GOPATH without go.sum downloads and verifies with 0 requests to G1, G2, S`, async () => {
    const go = usable(v);
    if (!go) return;
    const { up, X } = await warmed(go);
    const { dl, verify } = await download(go, X, up.vkey);
    assert.is(dl.code, 0, dl.stderr);
    assert.match(verify.stdout, /all modules verified/);
    assert.is(up.total(), 0, JSON.stringify([...up.g1.requests, ...up.g2.requests, ...up.s.requests].map((r) => r.path)));
  });

  test(`G4 outage (go ${v}): G1, G2 and S stopped after a warm run; a new GOPATH downloads and verifies from the store`, async () => {
    const go = usable(v);
    if (!go) return;
    const { up, proxy, X } = await warmed(go, { go: '' });
    await up.stopAll();
    const { dl, verify } = await download(go, X, up.vkey);
    assert.is(dl.code, 0, dl.stderr);
    assert.match(verify.stdout, /all modules verified/);
    assert.is(await metric(proxy, /^cache_proxy_verify_failures_total\{instance="go"[^}]*\} (\d+)/m), 0);
  });

  test(`G5 corrupt (go ${v}): G1 flips one byte of demo v1.0.0's zip; go fails with the proxy's checksum mismatch, nothing stored, metric 1`, async () => {
    const go = usable(v);
    if (!go) return;
    const up = await startGoUpstreams();
    const zip = 'example.com/fx/demo/@v/v1.0.0.zip';
    up.g1.fault(`/${zip}`, { flip_byte: centralName(join(GO_FIXTURE_DIR, 'g1', zip)).last });
    const { proxy, X } = await startGoProxy(up);
    const { dl } = await download(go, X, up.vkey);
    assert.is.not(dl.code, 0);
    assert.match(dl.stderr, /verifying example\.com\/fx\/demo@v1\.0\.0: checksum mismatch: checksum database says h1:[A-Za-z0-9+/=]+, upstream sent h1:[A-Za-z0-9+/=]+; nothing was cached/);
    assert.not.ok(storedKeys(proxy).some((k) => k.endsWith(zip)), 'no entry for the corrupt zip');
    assert.ok(await stored(proxy, 'example.com/fx/demo/@v/v1.0.0.mod'), 'the good .mod is stored');
    assert.is(await metric(proxy, /^cache_proxy_verify_failures_total\{instance="go",kind="zip"\} (\d+)/m), 1);
    up.g1.clearFaults();
    const again = await download(go, X, up.vkey);
    assert.is(again.verify.code, 0, again.dl.stderr);
    assert.ok(await stored(proxy, zip), 'the good zip is stored');
  });

  test(`G6 chain (go ${v}): a module only G2 has: G1 answers 404 once per file, G2 200`, async () => {
    const go = usable(v);
    if (!go) return;
    const up = await startGoUpstreams();
    const { X } = await startGoProxy(up);
    const app = goApp();
    const r = await goRun(go, ['mod', 'download', 'example.com/fx/only2@v1.0.0'], app, goEnv({ go, goproxy: X, gosumdb: up.vkey }));
    assert.is(r.code, 0, r.stderr);
    for (const ext of ['.info', '.mod', '.zip']) {
      const path = `/example.com/fx/only2/@v/v1.0.0${ext}`;
      assert.not.ok(existsSync(join(GO_FIXTURE_DIR, 'g1', path)), 'G1 does not have it: it answers 404');
      assert.is(up.g1.count('GET', path), 1, `G1 asked once for ${ext}`);
      assert.is(up.g2.count('GET', path), 1, `G2 answered ${ext}`);
    }
  });

  test(`G7 not found (go ${v}): go prints the upstream 404 (not a 503); the second time 0 upstream requests`, async () => {
    const go = usable(v);
    if (!go) return;
    const up = await startGoUpstreams();
    const { X } = await startGoProxy(up);
    const app = goApp();
    const env = goEnv({ go, goproxy: X, gosumdb: up.vkey });
    const first = await goRun(go, ['mod', 'download', 'example.com/fx/nope@v1.0.0'], app, env);
    assert.is.not(first.code, 0);
    assert.match(first.stderr, /404 Not Found/);
    assert.match(first.stderr, /server response: not found/);
    assert.not.match(first.stderr, /503/);
    const seen = up.total();
    assert.equal([up.g1.count('GET', '/example.com/fx/nope/@v/v1.0.0.info'), up.g2.count('GET', '/example.com/fx/nope/@v/v1.0.0.info')], [1, 1]);
    const second = await goRun(go, ['mod', 'download', 'example.com/fx/nope@v1.0.0'], app, env);
    assert.is.not(second.code, 0);
    assert.match(second.stderr, /404 Not Found/);
    assert.is(up.total(), seen, 'the 404 was remembered');
  });

  test(`G8 case (go ${v}): example.com/fx/Upper goes upstream as !upper; a second download is a HIT`, async () => {
    const go = usable(v);
    if (!go) return;
    const up = await startGoUpstreams();
    const { X } = await startGoProxy(up);
    const app = goApp();
    const r = await goRun(go, ['mod', 'download', 'example.com/fx/Upper@v1.0.0'], app, goEnv({ go, goproxy: X, gosumdb: up.vkey }));
    assert.is(r.code, 0, r.stderr);
    const paths = up.g1.requests.map((q) => q.path);
    assert.ok(paths.length >= 3 && paths.every((p) => p.startsWith('/example.com/fx/!upper/@v/')), paths.join(' '));
    const before = up.total();
    const again = await goRun(go, ['mod', 'download', 'example.com/fx/Upper@v1.0.0'], app, goEnv({ go, goproxy: X, gosumdb: up.vkey }));
    assert.is(again.code, 0, again.stderr);
    assert.is(up.total(), before, 'a new GOPATH is served from the store');
    assert.is((await httpGet(`${X}/example.com/fx/!upper/@v/v1.0.0.zip`)).headers['x-cache'], 'HIT');
    // the protocol's Content-Types, whatever the upstream sent
    const types: [string, string][] = [['@v/v1.0.0.zip', 'application/zip'], ['@v/v1.0.0.info', 'application/json'], ['@v/v1.0.0.mod', 'text/plain; charset=utf-8'], ['@v/list', 'text/plain; charset=utf-8'], ['@latest', 'application/json']];
    for (const [file, type] of types) {
      const got = await httpGet(`${X}/example.com/fx/!upper/${file}`);
      assert.is(got.status, 200, file);
      assert.is(got.headers['content-type'], type, file);
    }
  });
}

test('G3 lists (go 1.19, go 1.23): go list -m -versions twice; the second run makes 0 upstream requests', async () => {
  for (const v of VERSIONS) {
    const go = usable(v);
    if (!go) continue;
    const up = await startGoUpstreams();
    const { X } = await startGoProxy(up);
    const app = goApp();
    const env = goEnv({ go, goproxy: X, gosumdb: up.vkey });
    const first = await goRun(go, ['list', '-m', '-versions', 'example.com/fx/demo'], app, env);
    assert.is(first.code, 0, first.stderr);
    assert.is(first.stdout.trim(), 'example.com/fx/demo v1.0.0 v1.1.0');
    assert.is(up.g1.count('GET', '/example.com/fx/demo/@v/list'), 1);
    const seen = up.total();
    const second = await goRun(go, ['list', '-m', '-versions', 'example.com/fx/demo'], app, env);
    assert.is(second.stdout.trim(), 'example.com/fx/demo v1.0.0 v1.1.0');
    assert.is(up.total(), seen, `go ${v}: the list was fresh`);
  }
});

test('G9 private: goprivate example.com/private/* → 404 with 0 upstream requests (module files and lookups)', async () => {
  const up = await startGoUpstreams();
  const { X } = await startGoProxy(up, { go: '      goprivate: ["example.com/private/*"]' });
  for (const p of ['example.com/private/x/@v/list', 'example.com/private/x/@v/v1.0.0.zip', 'example.com/private/x/sub/@latest', `sumdb/${SUMDB_NAME}/lookup/example.com/private/x@v1.0.0`]) {
    const r = await httpGet(`${X}/${p}`);
    assert.is(r.status, 404, p);
  }
  assert.is(up.total(), 0);
  assert.is((await httpGet(`${X}/example.com/fx/demo/@v/list`)).status, 200, 'other modules are served');
});

test('G10 sumdb off (go 1.19, go 1.23): supported is 404; go verifies against S directly; zips checked structurally and stored', async () => {
  for (const v of VERSIONS) {
    const go = usable(v);
    if (!go) continue;
    const up = await startGoUpstreams();
    const { proxy, X } = await startGoProxy(up, { sumdb: '{ enabled: false }' });
    const sup = await httpGet(`${X}/sumdb/${SUMDB_NAME}/supported`);
    assert.is(sup.status, 404);
    assert.is((await httpGet(`${X}/sumdb/${SUMDB_NAME}/lookup/example.com/fx/demo@v1.0.0`)).status, 404);
    const { dl, verify } = await download(go, X, `${up.vkey} ${up.s.url}`);
    assert.is(dl.code, 0, dl.stderr);
    assert.match(verify.stdout, /all modules verified/);
    assert.is(up.s.count({ path: /^\/lookup\/example\.com\/fx\/demo@v1\.0\.0$/ }), 1, 'go asked S itself');
    for (const f of MODULE_FILES) assert.ok(await stored(proxy, `${f}.zip`), `${f}.zip stored`);
    assert.is(await metric(proxy, /^cache_proxy_verify_skipped_total\{instance="go"[^}]*\} (\d+)/m), 0);
  }
});

test('G10 structure: with sumdb off, a zip whose entry leaves <module>@<version>/ is refused (502), not stored, metric 1', async () => {
  const up = await startGoUpstreams();
  const zip = 'example.com/fx/demo/@v/v1.0.0.zip';
  up.g1.fault(`/${zip}`, { flip_byte: centralName(join(GO_FIXTURE_DIR, 'g1', zip)).first });
  const { proxy, X } = await startGoProxy(up, { sumdb: '{ enabled: false }' });
  const r = await httpGet(`${X}/${zip}`);
  assert.is(r.status, 502);
  assert.match(r.body.toString(), /example\.com\/fx\/demo@v1\.0\.0: zip entry ".*" is not under example\.com\/fx\/demo@v1\.0\.0\/; nothing was cached/);
  assert.not.ok(storedKeys(proxy).some((k) => k.endsWith(zip)));
  assert.is(await metric(proxy, /^cache_proxy_verify_failures_total\{instance="go",kind="zip"\} (\d+)/m), 1);
});

test('record unavailable: a module the checksum database does not know is served, not stored, verify skipped counted', async () => {
  const up = await startGoUpstreams({ sumdbKnows: ['g1'] });
  const { proxy, X } = await startGoProxy(up);
  const zip = 'example.com/fx/only2/@v/v1.0.0.zip';
  const want = readFileSync(join(GO_FIXTURE_DIR, 'g2', zip));
  for (let i = 1; i <= 2; i++) {
    const r = await httpGet(`${X}/${zip}`);
    assert.is(r.status, 200);
    assert.ok(r.body.equals(want));
    assert.is(r.headers['x-cache'], 'BYPASS');
    // the fill ends after the response: wait for it, so the next request cannot join it
    const unverified = /^cache_proxy_fills_total\{instance="go",kind="zip",result="unverified"\} (\d+)/m;
    for (const t0 = Date.now(); (await metric(proxy, unverified)) < i && Date.now() - t0 < 15_000;) await new Promise((w) => setTimeout(w, 50));
    assert.is(up.g2.count('GET', `/${zip}`), i, 'not stored: fetched again');
  }
  assert.is(up.s.count({ path: '/lookup/example.com/fx/only2@v1.0.0' }), 1, 'the database\'s 404 is remembered');
  assert.not.ok(storedKeys(proxy).some((k) => k.endsWith(zip)));
  assert.is(await metric(proxy, /^cache_proxy_verify_skipped_total\{instance="go",kind="zip"\} (\d+)/m), 2);
});

test('G11 query: @v/master.info is passed through, not stored: 2 requests upstream for 2 asked', async () => {
  const up = await startGoUpstreams();
  const { proxy, X } = await startGoProxy(up);
  const want = readFileSync(join(GO_FIXTURE_DIR, 'g1', 'example.com/fx/demo/@v/master.info'));
  for (let i = 0; i < 2; i++) {
    const r = await httpGet(`${X}/example.com/fx/demo/@v/master.info`);
    assert.is(r.status, 200);
    assert.ok(r.body.equals(want));
    assert.is(JSON.parse(r.body.toString()).Version, 'v1.1.1-0.20210301000000-abcdefabcdef');
  }
  assert.is(up.g1.count('GET', '/example.com/fx/demo/@v/master.info'), 2);
  assert.not.ok(storedKeys(proxy).some((k) => k.includes('master')));
  assert.is((await httpGet(`${X}/example.com/fx/demo/@v/master.zip`)).status, 404, 'a query names no zip');
  assert.is(up.g1.count('GET', '/example.com/fx/demo/@v/master.zip'), 0);
});

test.after.each(cleanupAll);
test.run();
