// npm with the registry unreachable after a normal install (issue 9 item 1): npm 11 installs with full packuments,
// `npm ci` then asks for abbreviated ones; the stored full documents answer them (STALE), abbreviated on the fly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNpmRegistry, startNpmProxy, run, appCopy, clientHome, httpGet, cleanupAll, tmpDir, type ProxyHandle } from './index.js';

const T = tmpDir('npm-offline-');
const ABBREV = 'application/vnd.npm.install-v1+json';
const NPM_ACCEPT = `${ABBREV}; q=1.0, application/json; q=0.8, */*`;
const env = clientHome().env;

/** npm with this test's lockfile form: `omit` = lockfile without `resolved` tarball URLs; a generous limit, as other
 *  test files may run 30 npm processes on the same two cores at the same time */
const npm = (args: string[], o: { cwd: string; registry: string; cache: string; omit: boolean }) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--registry', `${o.registry}/`, '--cache', o.cache, `--omit-lockfile-registry-resolved=${o.omit}`, '--fetch-retries=0', '--loglevel=error'], { cwd: o.cwd, env, timeoutMs: 600_000 });

/** client requests of one kind the proxy answered, by X-Cache label */
async function answers(proxy: ProxyHandle, kind: string): Promise<Record<string, number>> {
  const text = (await httpGet(`${proxy.url}/metrics`)).body.toString();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^cache_proxy_requests_total\{([^}]*)\} (\d+)/gm)) {
    if (!m[1]!.includes(`kind="${kind}"`)) continue;
    const label = /cache="([^"]+)"/.exec(m[1]!)![1]!;
    out[label] = (out[label] ?? 0) + Number(m[2]);
  }
  return out;
}

for (const omit of [true, false]) {
  test(`npm install, registry stopped, npm ci on the lockfile ${omit ? 'without' : 'with'} resolved URLs: succeeds from the proxy, documents STALE`, async () => {
    const reg = await startNpmRegistry();
    const { proxy, R } = await startNpmProxy({ upstream: reg.url });
    try {
      const app = appCopy();
      const install = await npm(['install'], { cwd: app, registry: R, cache: join(T, `i-${omit}`), omit });
      assert.is(install.code, 0, `${install.stderr} (${Math.round(install.ms)} ms)`);
      const lock = readFileSync(join(app, 'package-lock.json'), 'utf8');
      const packages = Object.entries((JSON.parse(lock) as { packages: Record<string, { resolved?: string }> }).packages).filter(([k]) => k);
      assert.ok(packages.length >= 20);
      for (const [k, p] of packages) assert.is(p.resolved === undefined, omit, `${k} resolved ${p.resolved}`);
      const fullGets = reg.fx.requests.filter((q) => !q.path.endsWith('.tgz') && q.headers.accept === 'application/json').length;
      assert.ok(fullGets >= packages.length - 1, `npm install asked for full packuments (${fullGets})`);
      const before = await answers(proxy, 'metadata');
      const tarballsBefore = (await answers(proxy, 'tarball')).HIT ?? 0;

      await reg.stop(); // connections refused from here on
      const upstreamBefore = reg.fx.requests.length + reg.t2.requests.length;
      const dir = appCopy();
      writeFileSync(join(dir, 'package-lock.json'), lock);
      const ci = await npm(['ci'], { cwd: dir, registry: R, cache: join(T, `ci-${omit}`), omit });
      assert.is(ci.code, 0, `${ci.stderr} (${Math.round(ci.ms)} ms)\n${proxy.logs().slice(-2000)}`);
      assert.ok(readFileSync(join(dir, 'node_modules/fx-cli/bin/fx-cli.js')).length > 0);
      assert.is(reg.fx.requests.length + reg.t2.requests.length, upstreamBefore, '0 upstream requests, tarballs included');
      const after = await answers(proxy, 'metadata');
      const delta = (label: string) => (after[label] ?? 0) - (before[label] ?? 0);
      assert.is(delta('ERROR'), 0, 'no document request failed');
      for (const label of Object.keys(after)) if (label !== 'STALE') assert.is(delta(label), 0, `${label} answers during the outage`);
      // without tarball URLs npm asks for each package's abbreviated document; with them, for none
      if (omit) assert.ok(delta('STALE') >= packages.length - 1, `documents answered STALE: ${delta('STALE')}`);
      else assert.is(delta('STALE'), 0);
      assert.is(((await answers(proxy, 'tarball')).HIT ?? 0) - tarballsBefore, packages.length, 'every tarball a HIT');
    } finally {
      await proxy.stop();
      await reg.stop();
    }
  });
}

test('curl: abbreviated Accept after only the full document was stored, registry down → 200 STALE abbreviated; an Accept allowing neither → 502', async () => {
  const reg = await startNpmRegistry();
  const { proxy, R } = await startNpmProxy({ upstream: reg.url });
  try {
    const full = await httpGet(`${R}/@fx/demo`, { headers: { accept: 'application/json' } });
    assert.is(full.status, 200);
    assert.is(full.headers['x-cache'], 'MISS');
    const onlyAbbrev = await httpGet(`${R}/fx-ansi`, { headers: { accept: NPM_ACCEPT } });
    assert.is(onlyAbbrev.status, 200);
    const upstreamFull = JSON.parse(full.body.toString()) as { versions: Record<string, unknown>; 'dist-tags': unknown; time: { modified: string } };
    await reg.stop();

    const a = await httpGet(`${R}/@fx/demo`, { headers: { accept: NPM_ACCEPT } });
    assert.is(a.status, 200, a.body.toString());
    assert.is(a.headers['x-cache'], 'STALE');
    assert.is(a.headers['content-type'], ABBREV);
    assert.is(a.headers.vary, 'Accept');
    assert.is(Number(a.headers['content-length']), a.body.length);
    const doc = JSON.parse(a.body.toString()) as { name: string; modified: string; 'dist-tags': unknown; versions: Record<string, { name: string; version: string; dist: { tarball: string; integrity: string }; readme?: unknown }>; readme?: unknown; time?: unknown };
    assert.equal(Object.keys(doc).sort(), ['dist-tags', 'modified', 'name', 'versions']);
    assert.is(doc.name, '@fx/demo');
    assert.is(doc.modified, upstreamFull.time.modified);
    assert.equal(doc['dist-tags'], upstreamFull['dist-tags']);
    assert.equal(Object.keys(doc.versions), Object.keys(upstreamFull.versions));
    const want = reg.data.docs.get('@fx/demo')!.abbrev as { versions: Record<string, { dist: { integrity: string } }> };
    for (const [v, d] of Object.entries(doc.versions)) {
      assert.is(d.version, v);
      assert.is(d.dist.tarball, `${R}/@fx/demo/-/demo-${v}.tgz`, 'tarball URL through the proxy');
      assert.is(d.dist.integrity, want.versions[v]!.dist.integrity);
      assert.not.ok('_npmVersion' in d);
    }
    // the client's own Accept decides: JSON alone gets the stored full document, as is
    const json = await httpGet(`${R}/@fx/demo`, { headers: { accept: `${ABBREV};q=0.5, application/json;q=0.9` } });
    assert.is(json.headers['x-cache'], 'STALE');
    assert.is(json.body.toString(), full.body.toString());

    // only the abbreviated fx-ansi is stored: neither text/html nor application/json allows it
    for (const accept of ['text/html', 'application/json']) {
      const no = await httpGet(`${R}/fx-ansi`, { headers: { accept } });
      assert.is(no.status, 502, `${accept}: ${no.status}`);
      assert.is(no.headers['x-cache'], 'ERROR');
    }

    // the derived document was never stored: the registry back, the abbreviated request is a MISS fetched upstream
    await reg.start();
    const back = await httpGet(`${R}/@fx/demo`, { headers: { accept: NPM_ACCEPT } });
    assert.is(back.headers['x-cache'], 'MISS');
    assert.is(reg.fx.requests.filter((q) => q.path === '/@fx%2fdemo' && (q.headers.accept ?? '').startsWith(ABBREV)).length, 1);
  } finally {
    await proxy.stop();
    await reg.stop();
  }
});

test('an upstream 503 for the abbreviated class: the stored full document answers, abbreviated', async () => {
  const reg = await startNpmRegistry();
  const { proxy, R } = await startNpmProxy({ upstream: reg.url });
  try {
    assert.is((await httpGet(`${R}/fx-cli`, { headers: { accept: 'application/json' } })).status, 200);
    reg.fx.fault('/fx-cli', { status: 503 });
    const a = await httpGet(`${R}/fx-cli`, { headers: { accept: NPM_ACCEPT } });
    assert.is(a.status, 200, a.body.toString());
    assert.is(a.headers['x-cache'], 'STALE');
    assert.is(a.headers['content-type'], ABBREV);
    assert.equal(Object.keys((JSON.parse(a.body.toString()) as { versions: object }).versions), ['1.0.0']);
  } finally {
    await proxy.stop();
    await reg.stop();
  }
});

test.after(cleanupAll);
test.run();
