import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Work } from '../pipeline/work.js';
import { ClusterCoordinator } from './coordinator.js';
import { HOP_HEADER } from './forward.js';
import { ownerOf } from './rendezvous.js';

const quiet = { error() {}, warn() {}, info() {}, debug() {} } as never;
const self = 'http://127.0.0.1:1';

const work = (flightKey: string, headers: Record<string, string> = {}, block: Record<string, unknown> = { route: { path: '/files' } }) => ({
  inst: { name: 'files', block, def: { kinds: { file: {} } } }, kind: 'file', method: 'GET', requestId: 'r', flightKey,
  target: { segments: ['x'], rawSegments: ['x'], trailingSlash: false, query: '' }, match: { headers },
}) as unknown as Work;

test('the owner is asked (one hop); a key this node owns, a hop and a guarded instance fill here; an owner that is gone is dropped from the ring', async () => {
  const seen: string[] = [];
  const srv = createServer((req, res) => { seen.push(`${req.url} ${String(req.headers[HOP_HEADER])}`); res.writeHead(200, { 'content-length': '2' }); res.end('ok'); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const other = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const nodes = [self, other];
  const theirs = Array.from({ length: 200 }, (_, i) => `files/${i}`).find((k) => ownerOf(k, nodes) === other)!;
  const mine = Array.from({ length: 200 }, (_, i) => `files/${i}`).find((k) => ownerOf(k, nodes) === self)!;
  const cfg = { self, nodes, probe_interval: 60_000, probe_timeout: 500, down_after: 2, connect_timeout: 500, lease_ttl: 10_000, lease_wait: 1000, redis_timeout: 300 };
  const c = new ClusterCoordinator(cfg, quiet, (inst) => (inst.block as { guarded?: boolean }).guarded === true);
  try {
    const peer = await c.claim(work(theirs));
    assert.is(peer.type, 'peer');
    if (peer.type === 'peer') { peer.resp.body.resume(); assert.is(peer.resp.status, 200); }
    assert.equal(seen, [`/files/x ${self}`]);
    assert.is((await c.claim(work(mine))).type, 'local');
    assert.is((await c.claim(work(theirs, { [HOP_HEADER]: other }))).type, 'local', 'a hop is answered where it lands');
    assert.is((await c.claim(work(theirs, {}, { route: { path: '/files' }, guarded: true }))).type, 'local');
    assert.is(seen.length, 1);
    srv.close();
    srv.closeAllConnections();
    assert.is((await c.claim(work(theirs))).type, 'local', 'owner unreachable: this node owns the key now');
    assert.equal(c.peers.healthy(), [self]);
    const doc = c.statusDoc() as { forwarded: number; owner_changes: number; nodes: { node: string; up: boolean }[]; redis: { configured: boolean } };
    assert.is(doc.forwarded, 1);
    assert.is(doc.owner_changes, 1);
    assert.equal(doc.nodes.map((n) => n.up), [true, false]);
    assert.is(doc.redis.configured, false);
  } finally {
    srv.close();
    await c.stop();
  }
});

test('owner keys: a whole request (method, body, headers) goes to the owner of its key; a hop, this node’s keys and an unreachable owner answer here', async () => {
  const seen: { url?: string; method?: string; hop?: string; range?: string; body: string }[] = [];
  const srv = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      seen.push({ url: req.url, method: req.method, hop: req.headers[HOP_HEADER] as string, range: req.headers.range, body: Buffer.concat(parts).toString() });
      res.writeHead(200, { 'content-length': '5', 'x-cache': 'GENERATION', connection: 'keep-alive' });
      res.end('owner');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const other = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const nodes = [self, other];
  const keyOf = (who: string) => Array.from({ length: 200 }, (_, i) => `repo${i}`).find((k) => ownerOf(`git#${k}`, nodes) === who)!;
  const cfg = { self, nodes, probe_interval: 60_000, probe_timeout: 500, down_after: 2, connect_timeout: 500, lease_ttl: 10_000, lease_wait: 1000, redis_timeout: 300 };
  const c = new ClusterCoordinator(cfg, quiet);
  const inst = { name: 'git', block: { route: { path: '/git' } }, def: { kinds: {} } } as never;
  const req = (ownerKey: string, headers: Record<string, string> = {}) => ({
    inst, ownerKey, method: 'POST', headers: { 'content-type': 'application/x-git-upload-pack-request', range: 'bytes=0-1', ...headers }, body: Buffer.from('0000'), requestId: 'r',
    target: { segments: ['demo', 'git-upload-pack'], rawSegments: ['demo', 'git-upload-pack'], trailingSlash: false, query: '' },
  });
  try {
    const resp = await c.owned(req(keyOf(other)));
    assert.ok(resp);
    const chunks: Buffer[] = [];
    for await (const x of resp!.body) chunks.push(x as Buffer);
    assert.is(Buffer.concat(chunks).toString(), 'owner');
    assert.is(resp!.headers['x-cache'], 'GENERATION');
    assert.is(resp!.headers.connection, undefined, 'the hop’s own headers stay behind');
    assert.equal(seen, [{ url: '/git/demo/git-upload-pack', method: 'POST', hop: self, range: 'bytes=0-1', body: '0000' }]);
    assert.is(await c.owned(req(keyOf(self))), null, 'this node owns the key');
    assert.is(await c.owned(req(keyOf(other), { [HOP_HEADER]: other })), null, 'a hop is answered where it lands');
    assert.is(seen.length, 1);
    srv.close();
    srv.closeAllConnections();
    assert.is(await c.owned(req(keyOf(other))), null, 'owner unreachable: answered here');
    assert.equal(c.peers.healthy(), [self]);
  } finally {
    srv.close();
    await c.stop();
  }
});

test.run();
