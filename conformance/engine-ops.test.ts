// Engine acceptance §10.21, 24–28, 30: disk full, metrics & status, validate, bad input, secrets, CLI, SIGTERM.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { startFixtureServer, startFileProxy, httpGet, tmpDir, cleanupAll, openable, waitFor, type FixtureServer, type ProxyHandle, repoRoot } from './index.js';

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [join(repoRoot, 'bin/cache-proxy.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });

async function setup(top = '', file = '      default_policy: immutable\n'): Promise<{ up: FixtureServer; proxy: ProxyHandle; X: string }> {
  const up = await startFixtureServer();
  return { up, ...(await startFileProxy({ upstreams: [up.url], top, file, env: { FIXTURE_SECRET: 'sup3r-s3cret-value', LOG_LEVEL: 'debug' } })) };
}

/** raw HTTP/1.1 exchange, for requests clients refuse to send */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.on('data', (d) => { out += d.toString('latin1'); });
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    setTimeout(() => s.destroy(), 3000);
  });
}
const statusOf = (resp: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(resp)?.[1] ?? 0);

test('§10.26 bad input: every row of §8.5 gets its response and nothing is read or written', async () => {
  const { up, proxy } = await setup();
  const port = proxy.port;
  const req = (target: string, extra = '', method = 'GET') => raw(port, `${method} ${target} HTTP/1.1\r\n${extra.startsWith('Host:') ? '' : 'Host: 127.0.0.1\r\n'}${extra}Connection: close\r\n\r\n`);
  const cases: [string, number, string?, string?][] = [
    ['/files/../x', 400], ['/files/%2e%2e/x', 400], ['/files/%2E%2e%2fx', 400], ['/files/..%2fx', 400], ['/files/%252e%252e/x', 400],
    ['/files/a\\b', 400], ['/files/a%5cb', 400], ['/files/a%00b', 400], ['/files/%zz', 400], ['/files/%e2%28%a1', 400],
    ['http://other.example/', 400], ['*', 400, '', 'OPTIONS'],
    ['/files/' + 'a'.repeat(9000), 414],
    ['/files/x', 405, '', 'POST'], ['/files/x', 405, '', 'DELETE'], ['/files/x', 405, '', 'PUT'],
    ['/nowhere/x', 404], ['/files/x', 400, 'Content-Length: 5\r\n'],
    ['/files/x', 431, 'X-Big: ' + 'b'.repeat(17 * 1024) + '\r\n'],
    ['/files/x', 431, Array.from({ length: 110 }, (_, i) => `X-H${i}: v\r\n`).join('')],
    ['/files/x', 400, 'Host: bad host\r\n'],
  ];
  for (const [target, want, extra, method] of cases) {
    const got = statusOf(await req(target, extra ?? '', method ?? 'GET'));
    assert.is(got, want, `${method ?? 'GET'} ${target.slice(0, 40)} ${extra?.slice(0, 20) ?? ''}`);
  }
  assert.is(statusOf(await raw(port, 'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n')), 405);
  assert.is(statusOf(await raw(port, 'FOO /files/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')), 405);
  assert.is(statusOf(await raw(port, 'GET /files/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n')), 400);
  assert.is(up.requests.length, 0, 'no bad request reached the upstream');
  await proxy.stop();
});

test('§10.27 the upstream never receives Authorization or Cookie; secrets appear in no log line', async () => {
  const { up, proxy, X } = await setup('metrics: { path: /metrics, token: $FIXTURE_SECRET }', '      default_policy: bypass\n');
  up.set('/a.txt', { body: 'a' });
  await httpGet(`${X}/a.txt`, { headers: { authorization: 'Bearer client-token', cookie: 'sid=1' } });
  const seen = up.requests.find((q) => q.path === '/a.txt')!;
  assert.is(seen.headers.authorization, undefined);
  assert.is(seen.headers.cookie, undefined);
  assert.is((await httpGet(`${proxy.url}/metrics`)).status, 401);
  assert.is((await httpGet(`${proxy.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  assert.is((await httpGet(`${proxy.url}/metrics`, { headers: { authorization: 'Bearer sup3r-s3cret-value' } })).status, 200);
  const status = (await httpGet(`${proxy.url}/-/status/summary`)).body.toString();
  await proxy.stop();
  assert.not.ok(proxy.logs().includes('sup3r-s3cret-value'), 'secret in logs');
  assert.not.ok(status.includes('sup3r-s3cret-value'), 'secret in status');
});

test('§10.24 metric families are exported and exercised; status endpoints; limit=abc; history survives a restart', async () => {
  const { up, proxy, X } = await setup('server: { status: { event_limit: 5 } }\n'.replace('server:', 'x_unused:').replace(/^x_unused.*$/m, ''));
  up.set('/m.bin', { body: randomBytes(1000) });
  await httpGet(`${X}/m.bin`);
  await httpGet(`${X}/m.bin`);
  const text = (await httpGet(`${proxy.url}/metrics`)).body.toString();
  for (const family of ['cache_proxy_requests_total', 'cache_proxy_request_duration_seconds', 'cache_proxy_response_bytes_total', 'cache_proxy_upstream_requests_total',
    'cache_proxy_upstream_duration_seconds', 'cache_proxy_fills_total', 'cache_proxy_fills_in_flight', 'cache_proxy_storage_bytes', 'cache_proxy_storage_entries',
    'cache_proxy_storage_blob_bytes', 'cache_proxy_storage_free_bytes', 'cache_proxy_build_info']) assert.ok(text.includes(family), family);
  const families = [...readFileSync(join(repoRoot, 'engine/metrics.ts'), 'utf8').matchAll(/'(cache_proxy_[a-z_]+)'/g)].map((x) => x[1]!);
  assert.ok(families.length >= 30, `${families.length} families declared`);
  for (const f of families) assert.ok(text.includes(`# HELP ${f} `), `family ${f} exported`);
  assert.match(text, /cache_proxy_requests_total\{instance="files",mode="file",kind="file",method="GET",cache="HIT",status="200"\} 1/);
  assert.match(text, /cache_proxy_fills_total\{instance="files",kind="file",result="stored"\} 1/);
  assert.not.match(text, /m\.bin/, 'no label holds a path');
  const summary = JSON.parse((await httpGet(`${proxy.url}/-/status/summary`)).body.toString());
  assert.is(summary.state, 'ok');
  assert.equal(summary.instances, [{ name: 'files', mode: 'file', enabled: true, state: 'ok' }]);
  const ev = await httpGet(`${proxy.url}/-/status/events?limit=abc`);
  assert.is(ev.status, 200);
  assert.is((await httpGet(`${proxy.url}/-/status/nope`)).status, 404);
  assert.is((await httpGet(`${proxy.url}/-/status/summary`, { method: 'POST' })).status, 405);
  assert.is((await httpGet(`${proxy.url}/`, { method: 'HEAD' })).status, 200);
  const disk = JSON.parse((await httpGet(`${proxy.url}/-/status/disk`)).body.toString());
  assert.ok(Array.isArray(disk.samples));
  await proxy.stop();
  await proxy.restart();
  const disk2 = JSON.parse((await httpGet(`${proxy.url}/-/status/disk`)).body.toString());
  assert.ok(disk2.samples.length >= disk.samples.length, 'disk history survives a restart');
  await proxy.stop();
});

test('§10.30 SIGTERM mid-transfer → it completes, new connections refused, exit 0', async () => {
  const { up, proxy, X } = await setup();
  const data = randomBytes(4 * MiB);
  up.set('/slow.bin', { body: data });
  // the origin pauses half-way until the test has seen new requests refused: the transfer is in flight throughout
  const resume = openable();
  up.fault('/slow.bin', { rate: 4 * MiB, hold_at: 2 * MiB, gate: resume.promise });
  let has = 0;
  const inflight = httpGet(`${X}/slow.bin`, { onBytes: (n) => { has = n; } });
  await waitFor('the transfer under way', async () => has > 0, 120_000);
  const exit = proxy.stop('SIGTERM');
  const late: number[] = [];
  await waitFor('new requests refused during shutdown', async () => {
    const s = (await httpGet(`${X}/other.bin`).catch(() => ({ status: 0 }))).status;
    late.push(s);
    return s === 0 || s === 503;
  }, 120_000);
  assert.ok(late.every((s) => s === 0 || s === 503 || s === 404), `new requests during shutdown → ${late.join(', ')}`);
  resume.open();
  const r = await inflight;
  assert.is(sha(r.body), sha(data), 'in-flight transfer completed');
  assert.is(await exit, 0);
});

test('§10.21 disk full (fault injection): cold 20 MiB GET → all bytes correct, nothing stored, tmp/ empty, error metric', async () => {
  const { up, proxy, X } = await setup('', '      default_policy: immutable\n');
  const small = randomBytes(1000);
  up.set('/kept.bin', { body: small });
  await httpGet(`${X}/kept.bin`);
  await proxy.stop();
  await proxy.restart({ env: { CACHE_PROXY_FAULT_ENOSPC_AFTER: String(2 * MiB) } });
  const data = randomBytes(20 * MiB);
  up.set('/big.bin', { body: data });
  const r = await httpGet(`${X}/big.bin`);
  assert.is(sha(r.body), sha(data));
  await waitFor('tmp/ empty', async () => readdirSync(join(proxy.backend, 'tmp')).length === 0, 120_000);
  const again = await httpGet(`${X}/big.bin`, { method: 'HEAD' });
  assert.ok(again.headers['x-cache'] !== 'HIT', 'nothing stored');
  assert.is((await httpGet(`${X}/kept.bin`)).headers['x-cache'], 'HIT');
  const m = (await httpGet(`${proxy.url}/metrics`)).body.toString();
  assert.match(m, /cache_proxy_storage_errors_total\{op="write",code="ENOSPC"\} 1/);
  assert.match(m, /cache_proxy_fills_total\{instance="files",kind="file",result="no_space"\} 1/);
  await proxy.stop();
});

test('§10.25/§10.28 validate exit codes, legacy flags, bare command → 2, port in use → 3', async () => {
  const dir = tmpDir('cli-');
  const good = join(dir, 'good.yaml');
  writeFileSync(good, `server: { bind: "127.0.0.1:18099", backend: "${dir}/b" }\ninstances:\n  - { name: f, enabled: true, file: { route: { path: /f }, upstreams: ["http://127.0.0.1:9"] } }\n`);
  assert.is(cli(['validate', '-c', good]).status, 0);
  assert.is(cli(['-config', good, '-validate']).status, 0);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, `server: { bind: "127.0.0.1:18099" }\ninstances:\n  - name: f\n    file: { route: { path: /f }, upstreams: ["http://127.0.0.1:9"], fresh_for: "5 mins" }\n`);
  const r = cli(['validate', '-c', bad]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /bad\.yaml:4:\d+: instances\[0\]\.file\.fresh_for: /);
  assert.is(cli([]).status, 2);
  const busy = await startFixtureServer();
  const clash = join(dir, 'clash.yaml');
  writeFileSync(clash, `server: { bind: "127.0.0.1:${busy.port}", backend: "${dir}/c" }\ninstances: []\n`);
  assert.is(cli(['serve', '-c', clash]).status, 3);
  mkdirSync(join(dir, 'h'), { recursive: true });
});

test.after(cleanupAll);
test.run();
