// rpm repositories whose repomd.xml and primary use other digests than sha256 (`createrepo_c --checksum
// sha384|sha1 --zck`): real dnf through the proxy, packages held to the primary's digest, and the zchunk
// variants (`*.xml.zck`, which dnf here does not read) verified and served like any listed file, Range included.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ok } from './harness/client-run.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, httpGet, cleanupAll, metricValue, type FixtureServer } from './index.js';
import { buildRpmFixture, startRpmProxy, dnfClient, rpmClientMissing, type RpmFixture } from './harness/rpm.js';

const missing = rpmClientMissing('dnf');
const ALGS = ['sha384', 'sha1'] as const;
const HELLO = 'cp-hello-1.0-1.noarch.rpm', DATA = 'cp-data-1.0-1.noarch.rpm';
let fx: RpmFixture;
const ups: FixtureServer[] = [];

test.before(() => { if (!missing) fx = buildRpmFixture({ dataMiB: 1, checksums: [...ALGS] }); });
test.after(cleanupAll);

const t = (name: string, fn: () => Promise<void>) => test(name, async () => { if (missing) { console.log(`skipped: ${missing}`); return; } await fn(); });

for (const alg of ALGS) {
  t(`${alg}: dnf makecache + install through the proxy; a package whose ${alg} differs is refused, nothing stored`, async () => {
    const tree = fx.tree(`checksum-${alg}`);
    assert.match(readFileSync(join(tree, 'repodata/repomd.xml'), 'utf8'), new RegExp(`<checksum type="${alg}">`));
    const up = await startFixtureServer({ root: tree });
    ups.push(up);
    const { proxy, url } = await startRpmProxy([up.url]);
    const c = dnfClient(url, fx.key);
    ok(await c.refresh(), 'dnf makecache');
    ok(await c.install(['cp-hello']), 'dnf install --downloadonly');
    assert.equal(c.rpms(), [HELLO]);
    assert.ok(readFileSync(c.path(HELLO)).equals(readFileSync(join(tree, 'Packages', HELLO))));
    assert.is(up.count('GET', `/Packages/${HELLO}`), 1);
    // same size, one byte flipped: only the digest can tell
    up.fault(`/Packages/${DATA}`, { flip_byte: 300 });
    const before = await metricValue(proxy.url, 'cache_proxy_verify_failures_total', { instance: 'fx', kind: 'artifact' });
    const bad = await httpGet(`${url}/Packages/${DATA}`);
    assert.ok(!bad.body.equals(readFileSync(join(tree, 'Packages', DATA))), 'the corrupt bytes are not served as good');
    assert.ok(await metricValue(proxy.url, 'cache_proxy_verify_failures_total', { instance: 'fx', kind: 'artifact' }) > before, `${alg} mismatch counted`);
    up.clearFaults();
    const good = dnfClient(url, fx.key);
    ok(await good.install(['cp-data']), 'dnf install after the upstream healed');
    assert.ok(readFileSync(good.path(DATA)).equals(readFileSync(join(tree, 'Packages', DATA))));
    const again = await httpGet(`${url}/Packages/${DATA}`);
    assert.is(again.headers['x-cache'], 'HIT');
    await proxy.stop();
  });

  t(`${alg}: a zchunk variant is a listed file: fetched once, checked against size and ${alg}, Range served from the store`, async () => {
    const tree = fx.tree(`checksum-${alg}`);
    const zck = readdirSync(join(tree, 'repodata')).find((n) => n.endsWith('-primary.xml.zck'))!;
    const bytes = readFileSync(join(tree, 'repodata', zck));
    const up = await startFixtureServer({ root: tree });
    ups.push(up);
    const { proxy, url } = await startRpmProxy([up.url]);
    assert.is((await httpGet(`${url}/repodata/repomd.xml`)).status, 200);
    const path = `/repodata/${zck}`;
    up.fault(path, { flip_byte: 20 });
    const bad = await httpGet(`${url}${path}`);
    assert.is(bad.status, 503, 'bytes that do not match repomd.xml are never served');
    up.clearFaults();
    // librepo reads a zchunk header first: a Range request
    const head = await httpGet(`${url}${path}`, { headers: { range: 'bytes=0-99' } });
    assert.is(head.status, 206);
    assert.ok(head.body.equals(bytes.subarray(0, 100)));
    const gets = up.count('GET', path);
    const whole = await httpGet(`${url}${path}`);
    assert.is(whole.status, 200);
    assert.ok(whole.body.equals(bytes));
    assert.is(whole.headers['x-cache-generation'], '1');
    assert.is(up.count('GET', path), gets, 'served from the generation');
    await proxy.stop();
  });
}

test.run();
