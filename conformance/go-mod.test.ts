// The real go command (1.19 from bookworm, 1.23 from bookworm-backports) through the go mode, against proxy
// origins G1/G2 serving GOPROXY directories made by gofx and a real checksum database (sumdbfx). Rows G1–G11.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, httpGet, tmpDir, type ProxyHandle } from './index.js';
import { goBinary, GO_FIXTURE_DIR, type GoVersion } from './harness/go-tools.js';
import { centralNameByte, SUMDB_NAME, startGoProxy, startGoUpstreams, type GoUpstreams } from './harness/go-upstreams.js';
import { goApp, goEnv, goRun } from './harness/go-client.js';

const metric = async (proxy: ProxyHandle, line: RegExp) => Number(line.exec((await httpGet(`${proxy.url}/metrics`)).body.toString())?.[1] ?? 0);
/** every stored key of the go instance */
function storedKeys(proxy: ProxyHandle): string[] {
  const dir = join(proxy.backend, 'entries', 'go');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((s) => readdirSync(join(dir, s)).map((f) => (JSON.parse(readFileSync(join(dir, s, f), 'utf8')) as { key: string }).key));
}
const MODULE_FILES = ['example.com/fx/demo/@v/v1.1.0', 'example.com/fx/!upper/@v/v1.0.0'];

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

for (const v of ['1.19', '1.23'] as GoVersion[]) {
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
    assert.ok(up.s.count({ path: /\/lookup\// }) >= 2, 'lookups through the proxy');
    assert.ok(up.s.count({ path: /\/tile\// }) >= 1, 'tiles through the proxy');
    assert.is(up.s.count({ path: /supported/ }), 0);
    for (const f of MODULE_FILES) assert.ok(storedKeys(proxy).some((k) => k.endsWith(`${f}.zip`)), `${f}.zip stored`);
    assert.is(await metric(proxy, /^cache_proxy_verify_failures_total\{instance="go"[^}]*\} (\d+)/m), 0);
  });
}

test.after.each(cleanupAll);
test.run();
