// oci mode, dedicated `bind` listeners with one upstream (modes/oci.md §5): skopeo against the real
// distribution registry (htpasswd auth, so the proxy answers Basic challenges), behind a counting shim.
// `hub` keeps tags fresh for 10m, `quick` for 1s (revalidation by HEAD, offline, moving tags).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startProxy, httpGet, tmpDir, cleanupAll, waitFor, type ProxyHandle } from './index.js';
import { startRegistry, type Registry } from './harness/oci/registry.js';
import { startShim, type Shim } from './harness/shim.js';
import {
  buildImage, buildIndex, push, skopeoCopy, run, must, layoutBlobs, blobBytes, layoutManifest, ociClass, storedBlobs, hasBlob, registryBlobFile, MANIFEST_ACCEPT,
} from './harness/oci/images.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let work: string, L: string, reg: Registry, shim: Shim, proxy: ProxyHandle;
let HUB: string, QUICK: string; // host:port of the two dedicated listeners
const D: Record<string, string> = {}; // manifest digests by layout tag

test.before(async () => {
  work = tmpDir('oci-pull-');
  L = join(work, 'layout');
  D.v1 = await buildImage(L, 'v1', 'amd64', 'demo-1', 8);
  D.next = await buildImage(L, 'v1-next', 'amd64', 'demo-2');
  D.amd64 = await buildImage(L, 'amd64', 'amd64', 'multi-amd');
  D.arm64 = await buildImage(L, 'arm64', 'arm64', 'multi-arm');
  D.multi = await buildIndex(L, 'multi', 'amd64', 'arm64');
  D.storm = await buildImage(L, 'storm', 'amd64', 'storm', 50);
  D.disk = await buildImage(L, 'disk', 'amd64', 'corrupt-on-disk');
  D.wire = await buildImage(L, 'wire', 'amd64', 'corrupt-on-the-wire');
  reg = await startRegistry({ dir: join(work, 'registry'), auth: { type: 'htpasswd', username: 'fixture', password: 'secret' } });
  for (const [tag, ref] of [['v1', 'library/demo:v1'], ['storm', 'library/storm:v1'], ['disk', 'library/disk:v1'], ['wire', 'library/wire:v1']] as const) await push(L, tag, reg.host, ref);
  await push(L, 'multi', reg.host, 'library/multi:v1', true);
  shim = await startShim({ target: reg.url, classify: ociClass });
  const block = (bind: string, fresh: string) => `
    oci:
      bind: "127.0.0.1:\${${bind}}"
      upstream: ${shim.url}
      auth: { type: basic, username: fixture, password: $OCI_FIXTURE_PASSWORD }
      fresh_for: ${fresh}`;
  proxy = await startProxy({
    env: { OCI_FIXTURE_PASSWORD: 'secret' },
    config: `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
storage: { negative_ttl: 1m }
instances:
  - name: hub
    enabled: true${block('PORT1', '10m')}
  - name: quick
    enabled: true${block('PORT2', '1s')}
`,
  });
  const cfg = parse(readFileSync(proxy.configFile, 'utf8')) as { instances: { oci: { bind: string } }[] };
  [HUB, QUICK] = cfg.instances.map((i) => i.oci.bind) as [string, string];
});
test.after(cleanupAll);

const fromHub = (ref: string) => `docker://${HUB}/${ref}`;
const out = (name: string) => { const d = join(work, 'out', name); rmSync(d, { recursive: true, force: true }); mkdirSync(join(work, 'out'), { recursive: true }); return d; };

test('O1 cold: skopeo copy through the dedicated listener; digest = upstream digest; each object fetched once; every stored blob hashes to its name', async () => {
  const r = await skopeoCopy(fromHub('library/demo:v1'), `oci:${out('o1')}:v1`);
  assert.is(r.code, 0, r.stderr);
  const raw = await must('skopeo', ['inspect', '--raw', '--tls-verify=false', fromHub('library/demo:v1')]);
  assert.is(sha(Buffer.from(raw.stdout)), D.v1);
  for (const b of layoutBlobs(L, D.v1!)) {
    assert.is(shim.count({ method: 'GET', path: `/v2/library/demo/blobs/${b}` }), 1, `one GET of ${b}`);
    assert.ok(hasBlob(proxy.backend, b), `${b} stored`);
  }
  assert.is(shim.count({ cls: 'ping' }), 0, '/v2/ is answered locally');
  const stored = storedBlobs(proxy.backend);
  assert.ok(stored.length >= 5 && stored.every((x) => x.ok), 'every stored blob hashes to its name');
  const ping = await httpGet(`http://${HUB}/v2/`);
  assert.is(ping.status, 200);
  assert.is(ping.headers['docker-distribution-api-version'], 'registry/2.0');
});

test('O2 warm: a second pull and a pull by digest make 0 upstream requests', async () => {
  const before = shim.requests.length;
  assert.is((await skopeoCopy(fromHub('library/demo:v1'), `oci:${out('o2')}:v1`)).code, 0);
  assert.is((await skopeoCopy(fromHub(`library/demo@${D.v1}`), `oci:${out('o2d')}:v1`)).code, 0);
  assert.is(shim.requests.length, before, shim.requests.slice(before).map((x) => `${x.method} ${x.path}`).join('\n'));
});

test('O2 revalidation: past fresh_for a warm pull costs exactly 1 upstream HEAD of the tag (Basic sent pre-emptively) and no GET', async () => {
  assert.is((await skopeoCopy(`docker://${QUICK}/library/demo:v1`, `oci:${out('q1')}:v1`)).code, 0);
  await new Promise((r) => setTimeout(r, 1200));
  const before = shim.requests.length;
  assert.is((await skopeoCopy(`docker://${QUICK}/library/demo:v1`, `oci:${out('q2')}:v1`)).code, 0);
  const seen = shim.requests.slice(before);
  assert.equal(seen.map((x) => `${x.method} ${x.path} ${x.status}`), ['HEAD /v2/library/demo/manifests/v1 200']);
  assert.match(seen[0]!.headers.authorization ?? '', /^Basic /);
});

test('O6 HEAD and Range: cached → headers, no body; 206 bytes equal; HEAD miss = 1 upstream HEAD; Range miss fills the cache', async () => {
  const [cfg, , , , big] = layoutBlobs(L, D.v1!) as [string, string, string, string, string];
  const bytes = blobBytes(L, big);
  const head = await httpGet(`http://${HUB}/v2/library/demo/blobs/${big}`, { method: 'HEAD' });
  assert.is(head.status, 200);
  assert.is(head.headers['content-length'], String(bytes.length));
  assert.is(head.headers['docker-content-digest'], big);
  assert.is(head.size, 0);
  const part = await httpGet(`http://${HUB}/v2/library/demo/blobs/${big}`, { headers: { range: 'bytes=100-199' } });
  assert.is(part.status, 206);
  assert.ok(part.body.equals(bytes.subarray(100, 200)));
  // shared across repositories: another repo name reads the same blob from the store
  const before = shim.requests.length;
  const other = await httpGet(`http://${HUB}/v2/someone/else/blobs/${cfg}`);
  assert.ok(other.body.equals(blobBytes(L, cfg)));
  assert.is(shim.requests.length, before);
  // misses: the arm64 image's blobs are not cached yet
  const [armCfg, , armApp] = layoutBlobs(L, D.arm64!) as [string, string, string];
  const h = await httpGet(`http://${HUB}/v2/library/multi/blobs/${armCfg}`, { method: 'HEAD' });
  assert.is(h.status, 200);
  assert.is(h.headers['content-length'], String(blobBytes(L, armCfg).length));
  assert.is(shim.count({ method: 'HEAD', path: `/v2/library/multi/blobs/${armCfg}` }), 1);
  assert.is(shim.count({ method: 'GET', path: `/v2/library/multi/blobs/${armCfg}` }), 0, 'a HEAD miss never fills');
  const appBytes = blobBytes(L, armApp);
  const r = await httpGet(`http://${HUB}/v2/library/multi/blobs/${armApp}`, { headers: { range: 'bytes=10-19' } });
  assert.is(r.status, 206);
  assert.ok(r.body.equals(appBytes.subarray(10, 20)));
  await waitFor('the range miss to fill the cache', async () => (await httpGet(`http://${HUB}/v2/library/multi/blobs/${armApp}`, { method: 'HEAD' })).headers['x-cache'] === 'HIT', 120_000);
  const full = await httpGet(`http://${HUB}/v2/library/multi/blobs/${armApp}`);
  assert.is(full.headers['x-cache'], 'HIT');
  assert.ok(full.body.equals(appBytes));
  assert.is(shim.count({ method: 'GET', path: `/v2/library/multi/blobs/${armApp}` }), 1);
});

test('O5 multi-arch: copy --all keeps the index digest; --override-arch arm64 selects the arm64 child; children cached by digest', async () => {
  const all = out('multi');
  assert.is((await skopeoCopy(fromHub('library/multi:v1'), `oci:${all}:v1`, ['--all'])).code, 0);
  const idx = JSON.parse(readFileSync(join(all, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  assert.is(idx.manifests[0]!.digest, D.multi);
  const arm = out('arm');
  assert.is((await skopeoCopy(fromHub('library/multi:v1'), `dir:${arm}`, ['--override-arch', 'arm64'])).code, 0);
  assert.is(sha(readFileSync(join(arm, 'manifest.json'))), D.arm64);
  const before = shim.requests.length;
  for (const child of layoutManifest(L, D.multi!).manifests!) {
    const r = await httpGet(`http://${HUB}/v2/library/multi/manifests/${child.digest}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
    assert.is(r.headers['x-cache'], 'HIT', child.digest);
    assert.is(r.headers['docker-content-digest'], child.digest);
  }
  assert.is(shim.requests.length, before);
});

test('O12 push is refused with 405 UNSUPPORTED; the upstream gets no write', async () => {
  const r = await run('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${L}:v1`, `docker://${HUB}/library/x:1`]);
  assert.is.not(r.code, 0);
  const post = await httpGet(`http://${HUB}/v2/library/x/blobs/uploads/`, { method: 'POST' });
  assert.is(post.status, 405);
  assert.is((JSON.parse(post.body.toString()) as { errors: { code: string }[] }).errors[0]!.code, 'UNSUPPORTED');
  assert.is(shim.requests.filter((x) => !['GET', 'HEAD'].includes(x.method) || x.cls === 'upload').length, 0);
  assert.is(shim.count({ path: /\/library\/x\/(manifests|blobs\/uploads)/ }), 0);
});

test('O13 referrers: the registry\'s 404 is passed through and negatively cached; the tag-schema fallback is an ordinary tag', async () => {
  const hex = D.v1!.slice(7);
  const fallback = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }));
  const put = await fetch(`${reg.url}/v2/library/demo/manifests/sha256-${hex}`, {
    method: 'PUT', body: fallback, headers: { 'content-type': 'application/vnd.oci.image.index.v1+json', authorization: `Basic ${Buffer.from('fixture:secret').toString('base64')}` },
  });
  assert.is(put.status, 201);
  const a = await httpGet(`http://${HUB}/v2/library/demo/referrers/${D.v1}`);
  const b = await httpGet(`http://${HUB}/v2/library/demo/referrers/${D.v1}`);
  assert.is(a.status, 404);
  assert.is(b.status, 404);
  assert.is(b.headers['x-cache'], 'NEGATIVE');
  assert.is(shim.count({ cls: 'referrers' }), 1);
  const raw = await must('skopeo', ['inspect', '--raw', '--tls-verify=false', fromHub(`library/demo:sha256-${hex}`)]);
  assert.ok(Buffer.from(raw.stdout).equals(fallback));
  const again = await httpGet(`http://${HUB}/v2/library/demo/manifests/sha256-${hex}`, { headers: { accept: MANIFEST_ACCEPT } });
  assert.is(again.headers['x-cache'], 'FRESH');
  assert.ok(again.body.equals(fallback));
  assert.is(shim.count({ path: `/v2/library/demo/manifests/sha256-${hex}` }), 1);
});

test('O10 storm: 20 concurrent cold pulls of a 50 MiB layer at 5 MiB/s → all succeed, exactly 1 upstream GET per blob', async () => {
  shim.faults.rate = 5 * 1024 * 1024;
  const t0 = performance.now();
  const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => skopeoCopy(fromHub('library/storm:v1'), `dir:${out(`storm-${i}`)}`)));
  const ms = performance.now() - t0;
  shim.faults.rate = undefined;
  assert.equal(rs.map((r) => r.code), Array(20).fill(0), rs.find((r) => r.code)?.stderr);
  const shared = layoutBlobs(L, D.v1!);
  for (const b of layoutBlobs(L, D.storm!)) assert.is(shim.count({ method: 'GET', path: `/v2/library/storm/blobs/${b}` }), shared.includes(b) ? 0 : 1, b);
  const layer = layoutBlobs(L, D.storm!).at(-1)!;
  const lone = (blobBytes(L, layer).length / (5 * 1024 * 1024)) * 1000;
  console.log(`storm: 20 pulls in ${Math.round(ms)} ms; the 50 MiB layer alone takes ${Math.round(lone)} ms at 5 MiB/s (${(ms / lone).toFixed(2)}×)`);
  for (let i = 0; i < 20; i++) rmSync(join(work, 'out', `storm-${i}`), { recursive: true, force: true });
});

test('O11 corrupt: a byte flipped on the registry\'s disk → the pull fails, nothing stored; fixed → it succeeds', async () => {
  const layer = layoutBlobs(L, D.disk!).at(-2)!; // the layer unique to this image
  const file = registryBlobFile(join(reg.dir, 'storage'), layer);
  const good = readFileSync(file);
  const bad = Buffer.from(good);
  bad[Math.floor(bad.length / 2)]! ^= 0xff;
  writeFileSync(file, bad);
  const r = await skopeoCopy(fromHub('library/disk:v1'), `dir:${out('disk')}`);
  assert.is.not(r.code, 0);
  assert.not.ok(hasBlob(proxy.backend, layer));
  const h = await httpGet(`http://${HUB}/v2/library/disk/blobs/${layer}`, { method: 'HEAD' });
  assert.is(h.headers['x-cache'], 'MISS', 'nothing cached for that digest');
  writeFileSync(file, good);
  assert.is((await skopeoCopy(fromHub('library/disk:v1'), `dir:${out('disk')}`)).code, 0);
  assert.ok(hasBlob(proxy.backend, layer));
});

test('O11 corrupt on the wire: the shim flips a byte of a blob → the client\'s transfer is cut short, nothing stored', async () => {
  const cfg = layoutBlobs(L, D.wire!)[0]!;
  shim.faults.flip = { path: new RegExp(`/blobs/${cfg}$`), offset: 3 };
  const r = await httpGet(`http://${HUB}/v2/library/wire/blobs/${cfg}`);
  shim.faults.flip = undefined;
  assert.ok(r.aborted || r.status === 502, `status ${r.status}`);
  assert.not.ok(hasBlob(proxy.backend, cfg));
  const ok = await httpGet(`http://${HUB}/v2/library/wire/blobs/${cfg}`);
  assert.is(ok.status, 200);
  assert.is(sha(ok.body), cfg);
});

test('O7 offline: upstream refusing connections → pulls by tag (STALE) and by digest still work', async () => {
  await shim.refuse();
  await new Promise((r) => setTimeout(r, 1200));
  try {
    assert.is((await skopeoCopy(`docker://${QUICK}/library/demo:v1`, `oci:${out('off')}:v1`)).code, 0);
    assert.is((await skopeoCopy(`docker://${QUICK}/library/demo@${D.v1}`, `oci:${out('offd')}:v1`)).code, 0);
    const t = await httpGet(`http://${QUICK}/v2/library/demo/manifests/v1`, { headers: { accept: MANIFEST_ACCEPT } });
    assert.is(t.headers['x-cache'], 'STALE');
    assert.is(sha(t.body), D.v1);
  } finally {
    await shim.accept();
  }
});

test('O8 tag moves: after fresh_for the new digest is seen; upstream saw HEAD, GET by digest and only the new blobs', async () => {
  await push(L, 'v1-next', reg.host, 'library/demo:v1');
  await new Promise((r) => setTimeout(r, 1200));
  const before = shim.requests.length;
  const raw = await must('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${QUICK}/library/demo:v1`]);
  assert.is(sha(Buffer.from(raw.stdout)), D.next);
  assert.is((await skopeoCopy(`docker://${QUICK}/library/demo:v1`, `oci:${out('moved')}:v1`)).code, 0);
  const seen = shim.requests.slice(before).map((x) => `${x.method} ${x.path}`);
  const fresh = layoutBlobs(L, D.next!).filter((b) => !layoutBlobs(L, D.v1!).includes(b));
  assert.ok(seen.filter((x) => x === 'HEAD /v2/library/demo/manifests/v1').length >= 1);
  // (a second HEAD appears only if more than fresh_for passed between inspect and copy)
  assert.equal(seen.filter((x) => x !== 'HEAD /v2/library/demo/manifests/v1').sort(), [
    `GET /v2/library/demo/manifests/${D.next}`, ...fresh.map((b) => `GET /v2/library/demo/blobs/${b}`),
  ].sort());
  assert.is(fresh.length, 3, 'config, app and config layers are new; the base layer is shared');
});

test('O14 restart: proxy restarted with the upstream gone → the pull succeeds from the store', async () => {
  await shim.refuse();
  try {
    await proxy.restart();
    assert.is((await skopeoCopy(fromHub('library/demo:v1'), `oci:${out('restart')}:v1`)).code, 0);
  } finally {
    await shim.accept();
  }
});

test.run();
