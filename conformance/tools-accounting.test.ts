// Issue 15's accounting and cache tools against a running proxy with a file and a deb instance: the storage
// metric, /-/status/summary and `cache-proxy du` agree with `du -sb` of the backend; ls, purge and the admin
// endpoint's token.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  startFixtureServer, startProxy, httpGet, cleanupAll, aptClient, buildDebFixture, debSources, tmpDir, repoRoot,
  type FixtureServer, type ProxyHandle, type DebFixture,
} from './index.js';

const TOKEN = 'admin-token-0123456789';
let fx: DebFixture, debUp: FixtureServer, fileUp: FixtureServer, proxy: ProxyHandle;

const duSb = (p: string) => Number(execFileSync('du', ['-sb', p], { encoding: 'utf8' }).split('\t')[0]);
const cli = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
  execFile(process.execPath, [join(repoRoot, 'bin/cache-proxy.js'), ...args, '-c', proxy.configFile], { encoding: 'utf8' }, (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr }));
});
const within1 = (got: number, want: number, what: string) => { if (process.env.CP_SHOW_ERROR) process.stderr.write(`${what}: ${got} vs ${want} (${((100 * (got - want)) / want).toFixed(4)} %)\n`); return within1Check(got, want, what); };
const within1Check = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= want * 0.01, `${what}: ${got} vs du -sb ${want} (${((100 * (got - want)) / want).toFixed(3)} %)`);

test.before(async () => {
  fx = buildDebFixture({ dataMiB: 2 });
  debUp = await startFixtureServer({ root: fx.tree('v1') });
  const files = tmpDir('files-');
  mkdirSync(join(files, 'dir'));
  for (const [name, size] of [['a.bin', 300_000], ['b.bin', 40_000], ['dir/c.bin', 1_000_000], ['dir/d.txt', 900]] as const) writeFileSync(join(files, name), randomBytes(size));
  fileUp = await startFixtureServer({ root: files });
  proxy = await startProxy({
    config: `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}", admin: { token: ${TOKEN} } }
metrics: { path: /metrics }
instances:
  - name: files
    enabled: true
    file: { route: { path: /files }, upstreams: [${fileUp.url}], default_policy: immutable }
  - name: debian
    enabled: true
    deb: { route: { path: /deb }, upstreams: [${debUp.url}] }
`,
  });
});
test.after(cleanupAll);

/** du -sb of the backend once two readings 500 ms apart agree (the last commits have landed) */
async function settledDu(): Promise<number> {
  let last = -1;
  for (let i = 0; i < 60; i++) {
    const now = duSb(proxy.backend);
    if (now === last) return now;
    last = now;
    await new Promise((r) => setTimeout(r, 500));
  }
  return last;
}

test('after traffic, the metric, the summary and cache-proxy du agree with du -sb within 1 %', async () => {
  const apt = aptClient(debSources(`${proxy.url}/deb`, fx.key));
  const up = await apt.update();
  assert.is(up.code, 0, up.out);
  const inst = await apt.install(['cp-hello', 'cp-data']);
  assert.is(inst.code, 0, inst.out);
  for (const p of ['a.bin', 'b.bin', 'dir/c.bin', 'dir/d.txt']) assert.is((await httpGet(`${proxy.url}/files/${p}`)).status, 200);

  const want = await settledDu();
  const du = await cli(['du', '--json']);
  assert.is(du.code, 0, du.stderr);
  const u = JSON.parse(du.stdout) as { total_bytes: number; source: string; instances: Record<string, { bytes: number; record_bytes: number; mode_bytes: number; blob_bytes: number; kinds: Record<string, { entries: number }> }> };
  assert.match(u.source, 'the proxy at');
  within1(u.total_bytes, want, 'cache-proxy du');
  const summary = JSON.parse((await httpGet(`${proxy.url}/-/status/summary`)).body.toString()) as { storage: { used_bytes: number; shared_bytes: number; instance_bytes: Record<string, number> } };
  within1(summary.storage.used_bytes, want, 'summary storage.used_bytes');
  assert.is(summary.storage.shared_bytes + summary.storage.instance_bytes.files! + summary.storage.instance_bytes.debian!, summary.storage.used_bytes);
  const metrics = (await httpGet(`${proxy.url}/metrics`)).body.toString();
  const series = [...metrics.matchAll(/^cache_proxy_storage_bytes\{instance="([^"]+)"\} (\d+)/gm)].map((x) => [x[1]!, Number(x[2])] as const);
  assert.equal(series.map(([n]) => n).sort(), ['_shared', 'debian', 'files']);
  within1(series.reduce((n, [, v]) => n + v, 0), want, 'sum of cache_proxy_storage_bytes');
  // per instance: the paths that name it counted whole, the blobs its entries or generations own on top
  for (const name of ['files', 'debian']) {
    within1(u.instances[name]!.record_bytes, duSb(join(proxy.backend, 'entries', name)), `${name} records`);
    within1(summary.storage.instance_bytes[name]!, u.instances[name]!.bytes, `${name} in the summary`);
    within1(series.find(([n]) => n === name)![1], u.instances[name]!.bytes, `${name} metric`);
  }
  assert.ok(u.instances.files!.blob_bytes >= 1_340_900, 'the four files');
  assert.is(u.instances.files!.kinds.file?.entries, 4);
  assert.ok(u.instances.debian!.blob_bytes > 2 * 1024 * 1024, 'the packages and the generation\'s metadata');
  const table = await cli(['du']);
  assert.match(table.stdout, /^files\s+file\s+\d+/m);
  assert.match(table.stdout, /^total\s+\d+/m);
});

test('ls lists keys with size and kind; purge through the proxy makes the next request a MISS with one more upstream GET', async () => {
  const ls = await cli(['ls', 'files', '--json']);
  assert.is(ls.code, 0, ls.stderr);
  const list = JSON.parse(ls.stdout) as { key: string; kind: string; size: number; stored_at: string }[];
  assert.equal(list.map((e) => [e.key, e.size]), [['file/a.bin', 300_000], ['file/b.bin', 40_000], ['file/dir/c.bin', 1_000_000], ['file/dir/d.txt', 900]]);
  assert.ok(list.every((e) => e.kind === 'file' && Date.parse(e.stored_at) > 0));
  const glob = await cli(['ls', 'files', 'file/dir/*']);
  assert.match(glob.stdout, /file\/dir\/c\.bin\n.*file\/dir\/d\.txt\n2 entries/s);

  assert.is((await httpGet(`${proxy.url}/files/dir/c.bin`)).headers['x-cache'], 'HIT');
  const before = fileUp.requests.filter((r) => r.path === '/dir/c.bin').length;
  const purge = await cli(['purge', 'files', 'file/dir/c*', '--json']);
  assert.is(purge.code, 0, purge.stderr);
  assert.equal(JSON.parse(purge.stdout), { instance: 'files', glob: 'file/dir/c*', purged: 1, bytes: 1_000_000, keys: ['file/dir/c.bin'] });
  const again = await httpGet(`${proxy.url}/files/dir/c.bin`);
  assert.is(again.headers['x-cache'], 'MISS');
  assert.is(fileUp.requests.filter((r) => r.path === '/dir/c.bin').length, before + 1);
  assert.is((await httpGet(`${proxy.url}/files/a.bin`)).headers['x-cache'], 'HIT', 'others kept');
});

test('the admin endpoint refuses a missing or wrong token and other methods', async () => {
  const post = async (token: string | undefined, body: unknown, method = 'POST') => {
    const r = await fetch(`${proxy.url}/-/admin/purge`, { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, ...(method === 'POST' ? { body: JSON.stringify(body) } : {}) });
    await r.arrayBuffer();
    return r.status;
  };
  const all = { instance: 'files', glob: '*' };
  assert.is(await post(undefined, all), 401);
  assert.is(await post('wrong-token-0123456789', all), 403);
  assert.is(await post(TOKEN, all, 'GET'), 405);
  assert.is(await post(TOKEN, { instance: 'nope', glob: '*' }), 404);
  assert.is(await post(TOKEN, { instance: 'files' }), 400);
  assert.is((await httpGet(`${proxy.url}/files/a.bin`)).headers['x-cache'], 'HIT', 'nothing purged');
});

test('with the proxy stopped: purge works on the store under its lock, du measures the disk', async () => {
  await proxy.stop();
  const purge = await cli(['purge', 'files', 'file/b.bin', '--json']);
  assert.is(purge.code, 0, purge.stderr);
  assert.equal((JSON.parse(purge.stdout) as { keys: string[] }).keys, ['file/b.bin']);
  assert.equal((JSON.parse((await cli(['ls', 'files', '--json'])).stdout) as { key: string }[]).map((e) => e.key), ['file/a.bin', 'file/dir/c.bin', 'file/dir/d.txt']);
  const du = await cli(['du', '--json']);
  const u = JSON.parse(du.stdout) as { total_bytes: number; source: string };
  assert.match(u.source, 'on disk');
  within1(u.total_bytes, duSb(proxy.backend), 'cache-proxy du on disk');
});

test.run();
