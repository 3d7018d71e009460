// SSRF guard against DNS rebinding (engine spec §4.6): a host allowed because it was public when learned or
// checked must not be connected to once its name resolves to a private address. The scenario
// (harness/rebinding-scenario.ts) needs non-loopback addresses and its own resolver, so it runs as root in a
// private network and mount namespace (`unshare -n -m`); elsewhere the tests are skipped with the reason,
// except under CI=true, where a missing capability fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir, repoRoot, cleanupAll } from './index.js';

const SETUP = 'set -e; ip link set lo up; for a in 203.0.113.5 203.0.113.7 10.77.0.7; do ip addr add "$a/32" dev lo; done; mount --bind "$1" /etc/hosts; mount --bind "$2" /etc/resolv.conf';

function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'needs root for unshare -n -m';
  const probe = spawnSync('unshare', ['-n', '-m', '--', 'sh', '-c', 'ip link set lo up && ip addr add 203.0.113.7/32 dev lo && mount --bind /etc/hosts /etc/hosts'], { encoding: 'utf8', timeout: 20_000 });
  if (probe.error) return `unshare not runnable: ${probe.error.message}`;
  if (probe.status !== 0) return `unshare -n -m failed: ${(probe.stderr || `exit ${probe.status}`).trim().slice(0, 200)}`;
  return undefined;
}

interface Fetched { status: number; cache?: string; same?: boolean; body?: string }
interface Result {
  error?: string; resolverUncached: boolean; packument: { status: number; rewritten: boolean };
  tarballPublic: Fetched; tarballRebound: Fetched; tarballReboundAgain: Fetched; tarballBackToPublic: Fetched;
  canaryAfterTarballs: { connections: number; requests: string[] };
  redirectPublic: Fetched; redirectRebound: Fetched; redirectBackToPublic: Fetched;
  canary: { connections: number; requests: string[] }; good: string[]; registry: string[]; queries: string[];
  events: { instance: string; result: string; reason_code: string; message: string }[]; logRefusals: string[];
}

function runScenario(): Promise<Result> {
  const dir = tmpDir('netns-');
  writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n::1 localhost\n');
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:5 attempts:1\n');
  const script = join(repoRoot, 'dist/conformance/harness/rebinding-scenario.js');
  return new Promise((resolve, reject) => {
    const c = spawn('unshare', ['-n', '-m', '--', 'sh', '-c', `${SETUP}; exec "${process.execPath}" "$3"`, 'sh', join(dir, 'hosts'), join(dir, 'resolv.conf'), script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => c.kill('SIGKILL'), 180_000);
    c.on('close', () => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      try { resolve(JSON.parse(line) as Result); } catch { reject(new Error(`scenario printed no result:\n${out}\n${err}`)); }
    });
  });
}

const reason = unavailable();
if (reason && process.env.CI !== 'true') {
  console.log(`rebinding scenario skipped: ${reason}`);
  test.skip('DNS rebinding scenario in a private network namespace', () => undefined);
} else if (reason) {
  test('DNS rebinding scenario in a private network namespace (CI=true: the capability is required)', () => { assert.unreachable(reason); });
} else {
  const r = await runScenario();

  test('the scenario ran; the resolver in the path caches nothing (a changed answer is seen by the next lookup)', () => {
    assert.is(r.error, undefined, r.error);
    assert.ok(r.resolverUncached);
  });

  test('learned tarball host: fetched while public, then rebound to a private address → 502 naming both, the private address gets no connection, nothing stored', () => {
    assert.equal(r.packument, { status: 200, rewritten: true }, 'the tarball host was learned');
    assert.equal(r.tarballPublic, { status: 200, cache: 'MISS', same: true, body: '' });
    assert.equal(r.canaryAfterTarballs, { connections: 0, requests: [] }, 'not even a TCP connection to the private address');
    for (const rebound of [r.tarballRebound, r.tarballReboundAgain]) {
      assert.is(rebound.status, 502);
      assert.match(rebound.body ?? '', /tarballs\.example resolved to a private address \(10\.77\.0\.7\)/);
    }
    assert.equal(r.tarballBackToPublic, { status: 200, cache: 'MISS', same: true, body: '' }, 'the refused version was not stored');
    assert.equal(r.good.filter((u) => u.endsWith('.tgz')), ['/pkg/-/pkg-1.0.0.tgz', '/pkg/-/pkg-1.0.1.tgz']);
  });

  test('redirects: \'public\': a name checked public that resolves private when connecting → 502, the private address untouched, not stored', () => {
    assert.equal(r.redirectPublic, { status: 200, same: true }, 'a public CDN redirect works through the guarded pool');
    assert.equal(r.canary, { connections: 0, requests: [] }, 'not even a TCP connection to the private address');
    assert.is(r.redirectRebound.status, 502);
    assert.match(r.redirectRebound.body ?? '', /cdn\.example resolved to a private address \(10\.77\.0\.7\)/);
    assert.equal(r.redirectBackToPublic, { status: 200, same: true, cache: 'MISS' }, 'the refused blob was not stored');
    assert.ok(r.queries.includes('cdn.example A → 10.77.0.7'), 'the rebinding answer was given');
  });

  test('each refusal is a log line and a status event naming the host and the refused address', () => {
    const refusals = r.events.map((e) => `${e.instance} ${e.reason_code} ${e.message}`).sort();
    assert.equal(refusals, [
      'npm private_address tarballs.example resolved to 10.77.0.7: connection refused (SSRF guard)',
      'npm private_address tarballs.example resolved to 10.77.0.7: connection refused (SSRF guard)',
      'oci private_address cdn.example resolved to 10.77.0.7: connection refused (SSRF guard)',
    ]);
    assert.is(r.logRefusals.length, 3);
    for (const l of r.logRefusals) assert.match(l, /"upstream":"(tarballs|cdn)\.example","address":"10\.77\.0\.7"/);
  });
}

test.after(cleanupAll);
test.run();
