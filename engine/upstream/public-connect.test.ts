import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Socket } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { createServer as createHttpServer } from 'node:http';
import { publicOnlyLookup, publicOnlyConnector, privateAddressRefusal, PrivateAddressError } from './public-connect.js';
import { createUpstreamClient, UpstreamFailure } from './client.js';
import { transportOf } from '../app.js';

const fakeDns = (m: Record<string, LookupAddress[]>) => (host: string, _o: unknown, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => {
  const a = m[host];
  if (a) cb(null, a); else cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []);
};
const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });
const look = (fn: ReturnType<typeof publicOnlyLookup>, host: string, all: boolean) =>
  new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>((r) => fn(host, { all }, (err, address, family) => r({ err, address, family })));

test('lookup: private addresses dropped, the public ones kept, in both callback forms', async () => {
  const fn = publicOnlyLookup(fakeDns({ 'mixed.example': [v4('10.0.0.5'), v4('203.0.113.7'), v6('fd00::1'), v6('2001:db8::7')] }));
  const all = await look(fn, 'mixed.example', true);
  assert.is(all.err, null);
  assert.equal(all.address, [v4('203.0.113.7'), v6('2001:db8::7')]);
  const one = await look(fn, 'mixed.example', false);
  assert.is(one.address, '203.0.113.7');
  assert.is(one.family, 4);
});

test('lookup: a name with only private addresses fails with the host and every refused address', async () => {
  const fn = publicOnlyLookup(fakeDns({ 'inside.example': [v4('10.77.0.7'), v4('169.254.169.254'), v6('::1'), v4('127.0.0.1')] }));
  for (const all of [true, false]) {
    const r = await look(fn, 'inside.example', all);
    assert.instance(r.err, PrivateAddressError);
    const e = r.err as PrivateAddressError;
    assert.is(e.host, 'inside.example');
    assert.equal(e.addresses, ['10.77.0.7', '169.254.169.254', '::1', '127.0.0.1']);
    assert.is(e.code, 'ERR_PRIVATE_ADDRESS');
    assert.match(e.message, /inside\.example resolves to 10\.77\.0\.7/);
  }
});

test('lookup: resolver errors pass through unchanged', async () => {
  const r = await look(publicOnlyLookup(fakeDns({})), 'nowhere.example', false);
  assert.is(r.err?.code, 'ENOTFOUND');
});

async function listener(): Promise<{ port: number; connections: () => number; bytes: () => number; close: () => Promise<void> }> {
  let connections = 0, bytes = 0;
  const socks = new Set<Socket>();
  const s = createServer((c) => { connections++; socks.add(c); c.on('data', (d) => { bytes += d.length; }); c.on('error', () => undefined); });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return {
    port: (s.address() as { port: number }).port, connections: () => connections, bytes: () => bytes,
    close: () => new Promise((r) => { for (const c of socks) c.destroy(); s.close(() => r()); }),
  };
}
const connectWith = (c: ReturnType<typeof publicOnlyConnector>, hostname: string, port: number) =>
  new Promise<{ err: Error | null; socket: Socket | null }>((r) => c({ hostname, host: `${hostname}:${port}`, protocol: 'http:', port: String(port) }, (err, socket) => r({ err, socket })));

test('connector: a private literal and a name resolving private are refused before any TCP connection', async () => {
  const srv = await listener();
  try {
    const c = publicOnlyConnector({ timeout: 5000 }, publicOnlyLookup(fakeDns({ 'rebound.example': [v4('127.0.0.1')] })));
    for (const host of ['127.0.0.1', 'rebound.example']) {
      const r = await connectWith(c, host, srv.port);
      assert.ok(privateAddressRefusal(r.err), `${host}: ${r.err?.message}`);
      assert.is(r.socket, null);
    }
    const literal6 = await connectWith(c, '[::1]', srv.port);
    assert.equal(privateAddressRefusal(literal6.err)?.addresses, ['::1']);
    await new Promise((r) => setTimeout(r, 50));
    assert.is(srv.connections(), 0, 'the private listener saw no connection');
  } finally { await srv.close(); }
});

test('connector: the remote address is checked after connect too (a lookup that lets a private address through), no byte sent', async () => {
  const srv = await listener();
  try {
    // a resolver bypassing the filter: the check on the connected socket must still refuse
    const leaky = ((_h: string, o: { all?: boolean }, cb: (e: null, a: string | LookupAddress[], f?: number) => void) => (o.all ? cb(null, [v4('127.0.0.1')]) : cb(null, '127.0.0.1', 4))) as unknown as ReturnType<typeof publicOnlyLookup>;
    const r = await connectWith(publicOnlyConnector({ timeout: 5000 }, leaky), 'leaky.example', srv.port);
    const refused = privateAddressRefusal(r.err);
    assert.ok(refused, r.err?.message);
    assert.equal(refused!.addresses, ['127.0.0.1']);
    await new Promise((r) => setTimeout(r, 50));
    assert.is(srv.bytes(), 0, 'nothing was written to the private address');
  } finally { await srv.close(); }
});

test('privateAddressRefusal finds the refusal inside wrapping errors only', () => {
  const e = new PrivateAddressError('h.example', ['10.0.0.1']);
  assert.is(privateAddressRefusal(Object.assign(new Error('fetch failed'), { cause: e })), e);
  assert.is(privateAddressRefusal(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), undefined);
  assert.is(privateAddressRefusal(undefined), undefined);
});

/** an http server counting TCP connections; /go redirects to `to` */
async function origin(to?: string): Promise<{ url: string; connections: () => number; requests: string[]; close: () => Promise<void> }> {
  let connections = 0;
  const requests: string[] = [];
  const s = createHttpServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/go' && to) res.writeHead(302, { location: to }).end();
    else res.writeHead(200, { 'content-length': 2 }).end('ok');
  });
  s.on('connection', () => { connections++; });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, connections: () => connections, requests, close: () => new Promise((r) => { s.closeAllConnections(); s.close(() => r()); }) };
}

/** the failure, or (when the request went through) the drained response's status */
const outcome = (p: Promise<{ status: number; body: NodeJS.ReadableStream }>) => p.then(
  async (r) => { await new Promise((done) => r.body.resume().on('end', done).on('error', done)); return r.status; },
  (e: unknown) => e as UpstreamFailure,
);

const download = { max_active: 8, max_active_per_instance: 8, max_active_per_host: 8, request_interval_per_host: 0, queue_wait: 1000, max_queue: 10, detached_fill_budget: 0, max_cooldown: 1000 };
const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

test('client: a public-only target on a private address is refused before connecting (502 naming host and address, a refused event); the same target trusted works', async () => {
  const up = await origin();
  const events: Record<string, unknown>[] = [];
  const client = createUpstreamClient({ download, transportFor: () => transportOf({}), log: quiet as never, onEvent: (e) => events.push(e) });
  try {
    const base = { instance: 'i', candidates: [`${up.url}/x`], method: 'GET' as const, foreground: true, allowed: () => true };
    const err = await outcome(client.request({ ...base, publicOnly: () => true }));
    assert.instance(err, UpstreamFailure);
    assert.is((err as UpstreamFailure).status, 502);
    assert.match((err as UpstreamFailure).message, /127\.0\.0\.1 resolved to a private address \(127\.0\.0\.1\)/);
    assert.is(up.connections(), 0);
    assert.equal(events.map((e) => [e.result, e.reason_code]), [['refused', 'private_address']]);
    const ok = await client.request({ ...base, publicOnly: () => false });
    assert.is(ok.status, 200);
    await new Promise((r) => ok.body.resume().on('end', r));
    assert.equal(up.requests, ['/x']);
  } finally { await client.close(); await up.close(); }
});

test('client: a redirect from a trusted origin to a public-only target resolving private → 502, the target gets no connection', async () => {
  const inside = await origin();
  const port = new URL(inside.url).port;
  const up = await origin(`http://localhost:${port}/secret`);
  const client = createUpstreamClient({ download, transportFor: () => transportOf({}), log: quiet as never });
  try {
    const err = await outcome(client.request({
      instance: 'i', candidates: [`${up.url}/go`], method: 'GET', foreground: true, allowed: () => true, publicOnly: (u) => u.port === port,
    }));
    assert.instance(err, UpstreamFailure);
    assert.is((err as UpstreamFailure).status, 502);
    assert.match((err as UpstreamFailure).message, /localhost resolved to a private address/);
    assert.equal(up.requests, ['/go']);
    assert.is(inside.connections(), 0);
  } finally { await client.close(); await up.close(); await inside.close(); }
});

test.run();
