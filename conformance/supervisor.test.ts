// `cache-proxy serve` under its supervisor: a worker that dies is restarted with backoff, the cause is
// logged in one line, restarts are counted in /metrics, connections made meanwhile wait instead of
// being refused, and SIGTERM stops everything cleanly. The crash comes from a test plugin whose hook
// throws outside any request (conformance/fixtures/plugins/cache-proxy-mode-crashtest).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { startFixtureServer, startProxy, httpGet, cleanupAll, repoRoot, type ProxyHandle, type FixtureServer } from './index.js';

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const restarts = async (proxy: ProxyHandle) => Number(/^cache_proxy_worker_restarts_total (\d+)/m.exec((await httpGet(`${proxy.url}/metrics`)).body.toString())?.[1] ?? NaN);
const restartLines = (proxy: ProxyHandle) => proxy.logs().split('\n').filter((l) => l.includes('"worker exited; restarting"')).map((l) => JSON.parse(l) as Record<string, unknown>);

/** waits until a worker other than `old` serves (a start can take many seconds on a loaded machine: the bound is a sanity limit) */
async function newWorker(proxy: ProxyHandle, old: number): Promise<number> {
  for (const deadline = Date.now() + 180_000; Date.now() < deadline;) {
    const pid = proxy.pid;
    if (pid !== old && pid !== proxy.supervisorPid && (await httpGet(`${proxy.url}/-/status/summary`).then((r) => r.status === 200, () => false))) return pid;
    await sleep(50);
  }
  throw new Error(`no new worker:\n${proxy.logs().slice(-3000)}`);
}

let up: FixtureServer, proxy: ProxyHandle;

test.before(async () => {
  up = await startFixtureServer();
  up.set('/ok', { body: 'hello', headers: { 'content-type': 'text/plain' } });
  up.set('/crash', { body: 'CRASH now', headers: { 'content-type': 'text/plain' } });
  proxy = await startProxy({
    config: `server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
metrics: { path: /metrics }
plugins: ["${join(repoRoot, 'conformance/fixtures/plugins/cache-proxy-mode-crashtest')}"]
instances:
  - { name: c, enabled: true, crashtest: { route: { path: /c }, upstream: "${up.url}" } }
`,
  });
});
test.after(cleanupAll);

test('the server runs in a worker under a supervisor; no restart yet', async () => {
  assert.is.not(proxy.pid, proxy.supervisorPid);
  assert.ok(alive(proxy.pid));
  assert.is((await httpGet(`${proxy.url}/c/ok`)).body.toString(), 'hello');
  assert.is(await restarts(proxy), 0);
});

test('a worker that dies of an uncaught exception is replaced: the listener answers again, one restart counted, one log line with the cause', async () => {
  const first = proxy.pid;
  await httpGet(`${proxy.url}/c/crash`).catch(() => undefined);
  const second = await newWorker(proxy, first);
  assert.not.ok(alive(first));
  assert.ok(alive(proxy.supervisorPid));
  const r = await httpGet(`${proxy.url}/c/ok`);
  assert.is(r.status, 200);
  assert.is(r.body.toString(), 'hello');
  assert.is(await restarts(proxy), 1);
  const lines = restartLines(proxy);
  assert.is(lines.length, 1);
  assert.is(lines[0]!.level, 'error');
  assert.is(lines[0]!.exit_code, 70);
  assert.is(lines[0]!.pid, first);
  assert.match(String(lines[0]!.err), /crashtest: thrown outside any request/);
  assert.ok(second > 0);
});

test('connections made while no worker is alive wait for the next one instead of being refused; backoff grows', async () => {
  const before = proxy.pid;
  process.kill(before, 'SIGKILL');
  while (alive(before)) await sleep(5);
  // the supervisor still holds the listening socket: these connect now and are answered by the next worker
  const rs = await Promise.all(Array.from({ length: 5 }, () => httpGet(`${proxy.url}/c/ok`).then((r) => `${r.status} ${r.body.toString()}`, (e: Error) => `error ${e.message}`)));
  assert.equal(rs, Array(5).fill('200 hello'));
  const after = await newWorker(proxy, before);
  assert.is.not(after, before);
  assert.is(await restarts(proxy), 2);
  const lines = restartLines(proxy);
  assert.is(lines.length, 2);
  assert.is(lines[1]!.signal, 'SIGKILL');
  assert.ok(Number(lines[1]!.restart_in_ms) > Number(lines[0]!.restart_in_ms), 'a second crash in a row waits longer');
});

test('SIGTERM to the supervisor stops the worker gracefully and exits 0', async () => {
  const worker = proxy.pid;
  const sup = proxy.supervisorPid;
  const code = await proxy.stop('SIGTERM');
  assert.is(code, 0);
  assert.not.ok(alive(worker));
  assert.not.ok(alive(sup));
  assert.match(proxy.logs(), /"msg":"ready"/);
  assert.is(restartLines(proxy).length, 2, 'a requested stop is not a crash');
});

test.run();
