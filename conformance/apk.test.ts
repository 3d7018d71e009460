// apk mode over HTTP (linux-repos spec §11 rows that apply to apk: cold, warm with 0 upstream requests, corrupt
// package → 502 and nothing stored, a truncated index never published, offline, rebuilt name, storm, restart)
// against the hand-made v2 fixture.
// The apk client rows run only where an `apk` binary is on PATH (apk-tools has no Debian bookworm package).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { watchRoot } from './harness/root-status.js';
import { Readable } from 'node:stream';
import { apkIndexPackages, apkIndexText } from '../modes/apk/apkindex.js';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, httpGet, cleanupAll, upstreamCount, waitFor, type FixtureServer, type GetResult, type ProxyHandle } from './index.js';
import { buildApkFixture, startApkProxy, APK_REPO_DIR, type ApkFixture, type ApkTree } from './harness/apk.js';
import { metricValue } from './harness/single-instance.js';

let fx: ApkFixture, a: FixtureServer, proxy: ProxyHandle, url: string;
const file = (tree: ApkTree, name: string) => readFileSync(join(fx.tree(tree), APK_REPO_DIR, name));
const INDEX = 'APKINDEX.tar.gz', HELLO1 = 'cp-hello-1.0-r0.apk', HELLO2 = 'cp-hello-2.0-r0.apk', DATA = 'cp-data-1.0-r0.apk';
const at = (name: string) => `/${APK_REPO_DIR}/${name}`;
const apkBinary = (() => { try { return execFileSync('sh', ['-c', 'command -v apk'], { encoding: 'utf8' }).trim(); } catch { return ''; } })();

test.before(async () => {
  fx = buildApkFixture();
  a = await startFixtureServer({ root: fx.tree('v1') });
  ({ proxy, url } = await startApkProxy([a.url]));
});
test.after(cleanupAll);

const generationOf = async (u: string) => Number((await httpGet(`${u}${at(INDEX)}`, { method: 'HEAD' })).headers['x-cache-generation'] ?? 0);
const ROOT = `apk:${APK_REPO_DIR}`;
const { status: rootStatus, refreshedAfter } = watchRoot(ROOT, 'apk');

function storedEntries(p: ProxyHandle, word: string): string[] {
  const dir = join(p.backend, 'entries', 'apk');
  return (existsSync(dir) ? readdirSync(dir, { recursive: true }) : []).map(String).filter((n) => n.endsWith('.json'))
    .map((n) => readFileSync(join(dir, n), 'utf8')).filter((t) => t.includes(word));
}

/** the index and both packages answered with tree v1's bytes; the packages' answers returned */
async function servesV1(): Promise<GetResult[]> {
  const idx = await httpGet(`${url}${at(INDEX)}`);
  assert.is(idx.status, 200);
  assert.ok(idx.body.equals(file('v1', INDEX)));
  const answers: GetResult[] = [];
  for (const n of [HELLO1, DATA]) {
    const r = await httpGet(`${url}${at(n)}`);
    assert.is(r.status, 200, n);
    assert.ok(r.body.equals(file('v1', n)), n);
    answers.push(r);
  }
  return answers;
}

test('cold: the index and both packages, bytes equal, each fetched from upstream once', async () => {
  for (const r of await servesV1()) assert.is(r.headers['x-cache'], 'MISS');
  for (const n of [INDEX, HELLO1, DATA]) assert.is(a.count('GET', at(n)), 1, n);
  assert.is(await generationOf(url), 1);
});

test('warm: the same requests → 0 upstream requests', async () => {
  const before = upstreamCount(a);
  assert.ok((await httpGet(`${url}${at(INDEX)}`)).body.equals(file('v1', INDEX)));
  for (const n of [HELLO1, DATA]) {
    const r = await httpGet(`${url}${at(n)}`);
    assert.ok(r.body.equals(file('v1', n)), n);
    assert.is(r.headers['x-cache'], 'HIT', n);
  }
  assert.is(upstreamCount(a), before, `upstream saw: ${a.requests.slice(before).map((r) => r.path).join(', ')}`);
});

test('corrupt packages (altered control segment, altered data segment): 502, nothing stored, verify failures counted', async () => {
  const bad = await startFixtureServer({ root: fx.tree('corrupt') });
  const p = await startApkProxy([bad.url]);
  assert.is((await httpGet(`${p.url}${at(INDEX)}`)).status, 200);
  const failures = await metricValue(p.proxy.url, 'cache_proxy_verify_failures_total', { instance: 'apk', kind: 'artifact' });
  for (const n of [HELLO1, DATA]) {
    const r = await httpGet(`${p.url}${at(n)}`);
    // a small body is checked before the answer starts (502); a larger one streams and its transfer is ended
    assert.ok(r.status === 502 || (r.status === 200 && r.aborted), `${n}: ${r.status}${r.aborted ? ' aborted' : ''}`);
    if (n === HELLO1) assert.is(r.status, 502, 'a small package is answered 502');
    assert.not.ok(r.status === 200 && r.body.equals(file('corrupt', n)), `${n}: the whole corrupt body was delivered as a success`);
    assert.is(bad.count('GET', at(n)), 1, n);
  }
  assert.is(await metricValue(p.proxy.url, 'cache_proxy_verify_failures_total', { instance: 'apk', kind: 'artifact' }), failures + 2);
  assert.equal(storedEntries(p.proxy, '.apk'), [], 'nothing stored for the corrupt packages');
  await p.proxy.stop(); await bad.close();
});

test('a truncated index is never published; once the upstream completes, generation 2 serves cp-hello 2.0', async () => {
  const u = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startApkProxy([u.url], '      refresh_interval: 2s\n');
  assert.is((await httpGet(`${p.url}${at(INDEX)}`)).status, 200);
  const gets = u.count('GET', at(INDEX));
  u.setRoot(fx.tree('torn'));
  await waitFor('the torn index fetched twice', async () => u.count('GET', at(INDEX)) >= gets + 2, 60_000);
  assert.is(await generationOf(p.url), 1);
  assert.ok((await httpGet(`${p.url}${at(INDEX)}`)).body.equals(file('v1', INDEX)), 'still v1, byte for byte');
  u.setRoot(fx.tree('v2'));
  await waitFor('generation 2', async () => (await generationOf(p.url)) === 2, 60_000);
  assert.ok((await httpGet(`${p.url}${at(INDEX)}`)).body.equals(file('v2', INDEX)));
  const r = await httpGet(`${p.url}${at(HELLO2)}`);
  assert.is(r.status, 200);
  assert.ok(r.body.equals(file('v2', HELLO2)));
  await p.proxy.stop(); await u.close();
});

test('L3 offline: upstream stopped → the index and both packages still served, the refresh fails, generation 1 kept', async () => {
  const u = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startApkProxy([u.url], '      refresh_interval: 2s\n');
  for (const n of [INDEX, HELLO1, DATA]) assert.is((await httpGet(`${p.url}${at(n)}`)).status, 200, n);
  await u.stop();
  const t = Date.now();
  await waitFor('a failed refresh', refreshedAfter(p.proxy, t, 'failed'), 60_000);
  const idx = await httpGet(`${p.url}${at(INDEX)}`);
  assert.is(idx.status, 200);
  assert.ok(idx.body.equals(file('v1', INDEX)));
  assert.is(idx.headers['x-cache-generation'], '1');
  for (const n of [HELLO1, DATA]) {
    const r = await httpGet(`${p.url}${at(n)}`);
    assert.is(r.status, 200, n);
    assert.ok(r.body.equals(file('v1', n)), n);
    assert.is(r.headers['x-cache'], 'HIT', n);
  }
  assert.is((await rootStatus(p.proxy))?.generation, 1);
  await p.proxy.stop(); await u.close();
});

test('L8 rebuilt name: the upstream replaces cp-data under the same name with a new index; after the refresh the new bytes are served', async () => {
  const u = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startApkProxy([u.url], '      refresh_interval: 2s\n');
  assert.is((await httpGet(`${p.url}${at(INDEX)}`)).status, 200);
  assert.ok((await httpGet(`${p.url}${at(DATA)}`)).body.equals(file('v1', DATA)));
  assert.not.ok(file('rebuilt', DATA).equals(file('v1', DATA)));
  u.setRoot(fx.tree('rebuilt'));
  await waitFor('generation 2', async () => (await generationOf(p.url)) === 2, 60_000);
  assert.ok((await httpGet(`${p.url}${at(INDEX)}`)).body.equals(file('rebuilt', INDEX)));
  const r = await httpGet(`${p.url}${at(DATA)}`);
  assert.is(r.status, 200);
  assert.ok(r.body.equals(file('rebuilt', DATA)), 'the rebuilt bytes, not the stored ones');
  assert.is(u.count('GET', at(DATA)), 2);
  assert.ok((await httpGet(`${p.url}${at(DATA)}`)).body.equals(file('rebuilt', DATA)));
  assert.is(u.count('GET', at(DATA)), 2, 'the rebuilt package is stored');
  // the stored copy keeps the index's control-segment SHA-1 it was checked against: a hit is re-checked by it,
  // whatever the sizes (a rebuilt package can have the old one's size)
  const text = await apkIndexText(Readable.from([file('rebuilt', INDEX)]));
  let c = '';
  for await (const e of apkIndexPackages([text])) if (e.name === 'cp-data') c = e.controlSha1 ?? '';
  assert.ok(c);
  assert.equal(storedEntries(p.proxy, 'cp-data').map((t) => (JSON.parse(t) as { meta?: { pin?: string } }).meta?.pin), [`check:${c}`]);
  await p.proxy.stop(); await u.close();
});

test('L11 storm: 20 parallel downloads of a cold package from a throttled upstream → 1 upstream GET, all bodies right', async () => {
  const u = await startFixtureServer({ root: fx.tree('v1') });
  const p = await startApkProxy([u.url]);
  assert.is((await httpGet(`${p.url}${at(INDEX)}`)).status, 200);
  u.fault(at(DATA), { rate: 1024 * 1024 });
  const want = file('v1', DATA);
  const rs = await Promise.all(Array.from({ length: 20 }, () => httpGet(`${p.url}${at(DATA)}`, { discardBody: true, expect: want })));
  assert.is(rs.filter((r) => r.status === 200 && r.matches).length, 20);
  assert.is(u.count('GET', at(DATA)), 1);
  await p.proxy.stop(); await u.close();
});

test('L10 restart with the upstream stopped: the root and its generation restored, index and packages served; listed on the home page and in the summary', async () => {
  await a.stop();
  await proxy.restart();
  await servesV1();
  assert.is(await generationOf(url), 1);
  assert.is((await rootStatus(proxy))?.generation, 1);
  assert.ok((await httpGet(`${proxy.url}/`)).body.toString().includes(ROOT), `home page lists ${ROOT}`);
});

(apkBinary ? test : test.skip)(`apk client: update + fetch through the proxy${apkBinary ? '' : ' — skipped: no apk binary on PATH (apk-tools has no Debian bookworm package)'}`, async () => {
  // runs only where apk exists: apk --root R --initdb --allow-untrusted … update, then apk fetch
  const { tmpDir } = await import('./index.js');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const r = tmpDir('apk-');
  mkdirSync(join(r, 'etc/apk'), { recursive: true });
  writeFileSync(join(r, 'repositories'), `${url}/v3.20/main\n`);
  const o = ['--root', r, '--allow-untrusted', '--repositories-file', join(r, 'repositories'), '--cache-dir', join(r, 'cache'), '--arch', 'x86_64'];
  execFileSync(apkBinary, [...o, '--initdb', 'update'], { stdio: 'pipe' });
  execFileSync(apkBinary, [...o, 'fetch', '-o', join(r, 'dl'), 'cp-hello'], { stdio: 'pipe' });
  assert.ok(readFileSync(join(r, 'dl', HELLO1)).equals(file('v1', HELLO1)));
});

test.run();
