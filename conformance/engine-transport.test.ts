// transport block (engine spec §4.1): upstreams reached through a SOCKS5 proxy and through an HTTP proxy,
// and an https upstream whose certificate is trusted only through transport.ca_file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, startFileProxy, httpGet, tmpDir, cleanupAll } from './index.js';
import { startSocks5 } from './harness/socks5.js';
import { track } from './harness/cleanup.js';

test('transport.proxy socks5://: every upstream request goes through the SOCKS5 tunnel; bytes intact', async () => {
  const up = await startFixtureServer();
  const body = randomBytes(64 * 1024);
  up.set('/s.bin', { body });
  const socks = await startSocks5();
  const { X } = await startFileProxy({ upstreams: [up.url], file: `      default_policy: immutable\n      transport: { proxy: "${socks.url}" }\n` });
  const r = await httpGet(`${X}/s.bin`);
  assert.is(r.status, 200);
  assert.ok(r.body.equals(body));
  assert.ok(socks.tunnels.includes(`127.0.0.1:${up.port}`), `tunnels: ${socks.tunnels.join(', ')}`);
  assert.is((await httpGet(`${X}/s.bin`)).headers['x-cache'], 'HIT');
  assert.is(up.count('GET', '/s.bin'), 1);
});

test('transport.proxy http://: upstream requests are sent to the HTTP proxy in absolute form', async () => {
  const up = await startFixtureServer();
  up.set('/h.bin', { body: 'through the proxy' });
  const seen: string[] = [];
  const proxy = createHttpServer((req, res) => {
    seen.push(req.url ?? '');
    const u = new URL(req.url ?? '');
    const out = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: req.method, headers: req.headers }, (ur) => { res.writeHead(ur.statusCode ?? 502, ur.headers); ur.pipe(res); });
    req.pipe(out);
  });
  proxy.on('connect', (req, socket) => {
    seen.push(`CONNECT ${req.url}`);
    const [h, p] = String(req.url).split(':');
    const t = connect(Number(p), h, () => { socket.write('HTTP/1.1 200 Connection Established\r\n\r\n'); t.pipe(socket); socket.pipe(t); });
    t.on('error', () => socket.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  track(() => new Promise<void>((r) => { proxy.closeAllConnections(); proxy.close(() => r()); }));
  const port = (proxy.address() as { port: number }).port;
  const { X } = await startFileProxy({ upstreams: [up.url], file: `      default_policy: immutable\n      transport: { proxy: "http://127.0.0.1:${port}" }\n` });
  const r = await httpGet(`${X}/h.bin`);
  assert.is(r.status, 200);
  assert.is(r.body.toString(), 'through the proxy');
  assert.ok(seen.length >= 1, 'the HTTP proxy carried the request');
});

test('transport.ca_file: an https upstream signed by a private CA is refused without it (502) and served with it', async () => {
  const dir = tmpDir('ca-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const body = randomBytes(8192);
  const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    if (req.url !== '/t.bin') { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  track(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const origin = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  const without = await startFileProxy({ upstreams: [origin], file: '      default_policy: immutable\n' });
  const refused = await httpGet(`${without.X}/t.bin`);
  assert.is(refused.status, 502, 'an unknown CA is a TLS failure');
  await without.proxy.stop();
  const trusted = await startFileProxy({ upstreams: [origin], file: `      default_policy: immutable\n      transport: { ca_file: "${join(dir, 'cert.pem')}" }\n` });
  const ok = await httpGet(`${trusted.X}/t.bin`);
  assert.is(ok.status, 200);
  assert.ok(ok.body.equals(body));
});

test('transport.forward_authorization: the client\'s Authorization reaches the configured origin and such answers are never stored', async () => {
  const up = await startFixtureServer();
  up.set('/p.bin', { body: 'personal' });
  const { X } = await startFileProxy({ upstreams: [up.url], file: '      default_policy: immutable\n      transport: { forward_authorization: true }\n' });
  for (let i = 0; i < 3; i++) {
    const r = await httpGet(`${X}/p.bin`, { headers: { authorization: 'Bearer client-token' } });
    assert.is(r.status, 200);
    assert.is(r.headers['x-cache'], 'BYPASS', 'an answer to forwarded credentials is not stored');
  }
  const got = up.requests.filter((q) => q.path === '/p.bin');
  assert.is(got.length, 3, 'every forwarded request reached the origin');
  assert.ok(got.every((q) => q.headers.authorization === 'Bearer client-token'));
  const anon = await httpGet(`${X}/p.bin`);
  assert.is(anon.headers['x-cache'], 'MISS', 'nothing was stored for the anonymous request to find');
  assert.is(up.requests.at(-1)!.headers.authorization, undefined);
  const again = await httpGet(`${X}/p.bin`, { headers: { authorization: 'Bearer client-token' } });
  assert.is(again.headers['x-cache'], 'BYPASS', 'a stored answer is not given to a request whose credentials are forwarded');
  assert.is(up.requests.filter((q) => q.path === '/p.bin').length, 5);
});

test.after(cleanupAll);
test.run();
