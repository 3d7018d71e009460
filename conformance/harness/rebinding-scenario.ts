// DNS rebinding against the SSRF guard, run as root inside a private network namespace (see
// conformance/ssrf-rebinding.test.ts, which sets it up): lo carries "public" 203.0.113.5 (the registry),
// 203.0.113.7 (the good TLS host) and private 10.77.0.7 (a canary standing for an internal service, on the
// same port with a certificate for the same names — the worst case). /etc/resolv.conf points at the tiny
// DNS server below, whose answers (TTL 0) the scenario changes between requests, as an attacker's would.
// Prints one JSON line with everything the test asserts on.
import { createSocket } from 'node:dgram';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { lookup } from 'node:dns/promises';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:net';
import { startProxy, tmpDir } from './launcher.js';
import { httpGet } from './http.js';
import { cleanupAll, track } from './cleanup.js';

const REGISTRY_IP = '203.0.113.5', GOOD_IP = '203.0.113.7', CANARY_IP = '10.77.0.7';

/** name → A answers; a list longer than one is consumed one answer per query (the last one stays) */
const answers = new Map<string, string[]>();
const queries: string[] = [];

function startDns(): Promise<void> {
  const sock = createSocket('udp4');
  sock.on('message', (q, rinfo) => {
    if (q.length < 17) return;
    let i = 12;
    const labels: string[] = [];
    while (i < q.length && q[i] !== 0) { labels.push(q.subarray(i + 1, i + 1 + q[i]!).toString('latin1')); i += q[i]! + 1; }
    const qEnd = i + 5;
    const type = q.readUInt16BE(i + 1);
    const name = labels.join('.').toLowerCase();
    const list = answers.get(name);
    let addrs: string[] = [];
    if (type === 1 && list) {
      addrs = [list.length > 1 ? list.shift()! : list[0]!];
      queries.push(`${name} A → ${addrs[0]}`);
    }
    const head = Buffer.alloc(12);
    q.copy(head, 0, 0, 2);
    head.writeUInt16BE(list ? 0x8180 : 0x8183, 2); // NOERROR (no AAAA records) or NXDOMAIN
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(addrs.length, 6);
    const rr = addrs.map((a) => Buffer.concat([Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4]), Buffer.from(a.split('.').map(Number))]));
    sock.send(Buffer.concat([head, q.subarray(12, qEnd), ...rr]), rinfo.port, rinfo.address);
  });
  track(() => new Promise<void>((r) => sock.close(() => r())));
  return new Promise((r) => sock.bind(53, '127.0.0.1', () => r()));
}

const listen = (s: Server, host: string, port = 0) => new Promise<number>((resolve, reject) => {
  s.once('error', reject);
  s.listen(port, host, () => resolve((s.address() as { port: number }).port));
  track(() => new Promise<void>((r) => { (s as Server & { closeAllConnections?: () => void }).closeAllConnections?.(); s.close(() => r()); }));
});

const sha = (algo: string, b: Buffer) => createHash(algo).update(b).digest();

async function main(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  await startDns();
  // the resolver path has no cache: a changed answer is seen by the next lookup
  answers.set('probe.example', [GOOD_IP]);
  const first = (await lookup('probe.example')).address;
  answers.set('probe.example', [CANARY_IP]);
  out.resolverUncached = first === GOOD_IP && (await lookup('probe.example')).address === CANARY_IP;

  const dir = tmpDir('rebind-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=tarballs.example',
    '-addext', 'subjectAltName=DNS:tarballs.example,DNS:cdn.example', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };

  const tarballs: Record<string, Buffer> = { '1.0.0': randomBytes(4096), '1.0.1': randomBytes(4096) };
  const blobs = [randomBytes(2048), randomBytes(2048)];
  const blobDigest = (b: Buffer) => `sha256:${sha('sha256', b).toString('hex')}`;

  // the good host closes every connection: each request needs a new one, as an attacker would arrange
  const good: string[] = [];
  const goodServer = createHttpsServer(tls, (req, res) => {
    good.push(req.url ?? '');
    const v = /pkg-(\d+\.\d+\.\d+)\.tgz$/.exec(req.url ?? '')?.[1];
    const blob = blobs.find((b) => req.url === `/blobs/${blobDigest(b)}`);
    const body = v ? tarballs[v] : blob;
    if (!body) { res.writeHead(404, { connection: 'close' }).end(); return; }
    res.writeHead(200, { 'content-length': body.length, connection: 'close' }).end(body);
  });
  const port = await listen(goodServer, GOOD_IP);
  const canary = { connections: 0, requests: [] as string[] };
  const canaryServer = createHttpsServer(tls, (req, res) => { canary.requests.push(req.url ?? ''); res.writeHead(200, { 'content-type': 'text/plain' }).end('internal secret'); });
  canaryServer.on('connection', () => { canary.connections++; });
  await listen(canaryServer, CANARY_IP, port);

  const registryHits: string[] = [];
  const registry = createHttpServer((req, res) => {
    registryHits.push(req.url ?? '');
    if (req.url === '/pkg') {
      const versions = Object.fromEntries(Object.entries(tarballs).map(([v, b]) => [v, {
        name: 'pkg', version: v, dist: { tarball: `https://tarballs.example:${port}/pkg/-/pkg-${v}.tgz`, integrity: `sha512-${sha('sha512', b).toString('base64')}` },
      }]));
      const body = JSON.stringify({ name: 'pkg', 'dist-tags': { latest: '1.0.1' }, versions });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    const blob = /^\/v2\/library\/demo\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '')?.[1];
    if (blob) { res.writeHead(307, { location: `https://cdn.example:${port}/blobs/${blob}`, 'content-length': 0 }).end(); return; }
    res.writeHead(404).end();
  });
  const registryPort = await listen(registry, REGISTRY_IP);

  const proxy = await startProxy({
    readyTimeoutMs: 60_000,
    config: `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}", limits: { shutdown_timeout: 1s } }
instances:
  - name: npm
    enabled: true
    npm:
      route: { path: /npm }
      upstream: http://${REGISTRY_IP}:${registryPort}
      transport: { ca_file: "${join(dir, 'cert.pem')}" }
  - name: oci
    enabled: true
    oci:
      bind: "127.0.0.1:\${PORT1}"
      upstream: http://${REGISTRY_IP}:${registryPort}
      transport: { ca_file: "${join(dir, 'cert.pem')}" }
`,
  });
  const ociBind = [...readFileSync(proxy.configFile, 'utf8').matchAll(/bind: "127\.0\.0\.1:(\d+)"/g)].at(-1)![1];
  const R = `${proxy.url}/npm`, O = `http://127.0.0.1:${ociBind}`;
  const tgz = async (v: string) => { const r = await httpGet(`${R}/pkg/-/pkg-${v}.tgz`); const same = r.body.equals(tarballs[v]!); return { status: r.status, cache: r.headers['x-cache'], same, body: same ? '' : r.body.toString('utf8').slice(0, 300) }; };

  // 1. learned while public, then rebound to the private address
  answers.set('tarballs.example', [GOOD_IP]);
  const doc = await httpGet(`${R}/pkg`);
  out.packument = { status: doc.status, rewritten: doc.body.toString().includes(`${R}/pkg/-/pkg-1.0.0.tgz`) };
  out.tarballPublic = await tgz('1.0.0');
  answers.set('tarballs.example', [CANARY_IP]);
  out.tarballRebound = await tgz('1.0.1');
  out.tarballReboundAgain = await tgz('1.0.1');
  out.canaryAfterTarballs = { ...canary, requests: [...canary.requests] };
  answers.set('tarballs.example', [GOOD_IP]);
  out.tarballBackToPublic = await tgz('1.0.1');

  // 2. a redirect to a name checked public (first answer) that resolves private when connecting (second)
  answers.set('cdn.example', [GOOD_IP]);
  const okBlob = await httpGet(`${O}/v2/library/demo/blobs/${blobDigest(blobs[0]!)}`);
  out.redirectPublic = { status: okBlob.status, same: okBlob.body.equals(blobs[0]!) };
  answers.set('cdn.example', [GOOD_IP, CANARY_IP]);
  const badBlob = await httpGet(`${O}/v2/library/demo/blobs/${blobDigest(blobs[1]!)}`);
  out.redirectRebound = { status: badBlob.status, body: badBlob.body.toString('utf8').slice(0, 300) };
  answers.set('cdn.example', [GOOD_IP]);
  const againBlob = await httpGet(`${O}/v2/library/demo/blobs/${blobDigest(blobs[1]!)}`);
  out.redirectBackToPublic = { status: againBlob.status, same: againBlob.body.equals(blobs[1]!), cache: againBlob.headers['x-cache'] };

  out.canary = canary;
  out.good = good;
  out.registry = registryHits;
  out.queries = queries;
  const ev = JSON.parse((await httpGet(`${proxy.url}/-/status/events`)).body.toString()) as { events: { result: string; reason_code?: string; message?: string; instance?: string }[] };
  out.events = ev.events.filter((e) => e.result === 'refused');
  out.logRefusals = proxy.logs().split('\n').filter((l) => /SSRF guard/.test(l)).map((l) => l.slice(0, 400));
  return out;
}

const watchdog = setTimeout(() => { process.stdout.write(`${JSON.stringify({ error: 'scenario timed out' })}\n`); process.exit(2); }, 150_000);
try {
  const out = await main();
  process.stdout.write(`${JSON.stringify(out)}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ error: (e as Error).stack ?? String(e) })}\n`);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await cleanupAll();
}
