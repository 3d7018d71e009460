import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Work } from '../pipeline/work.js';
import { Forwarder, HOP_HEADER, hopHeaders, hopPath } from './forward.js';

const work = (o: { kind?: string; block?: Record<string, unknown>; raw?: string[]; query?: string; slash?: boolean; method?: string; headers?: Record<string, string> } = {}) => ({
  inst: { block: o.block ?? { route: { path: '/files' } }, def: { kinds: { file: {}, doc: { body: { rewrite: () => null } } } } }, kind: o.kind ?? 'file', method: o.method ?? 'GET', requestId: 'r1',
  target: { segments: o.raw ?? ['a', 'b c'], rawSegments: o.raw ?? ['a', 'b%20c'], trailingSlash: o.slash ?? false, query: o.query ?? '' },
  match: { headers: o.headers ?? {} },
}) as unknown as Work;

test('the hop asks the same mount and raw target; instances on a listener of their own, HEAD and rewritten kinds are not forwarded', () => {
  assert.is(hopPath(work()), '/files/a/b%20c');
  assert.is(hopPath(work({ query: 'x=1', slash: true })), '/files/a/b%20c/?x=1');
  assert.is(hopPath(work({ raw: [] })), '/files');
  assert.is(hopPath(work({ block: { bind: '127.0.0.1:9000' } })), undefined);
  assert.is(hopPath(work({ method: 'HEAD' })), undefined);
  assert.is(hopPath(work({ kind: 'doc' })), undefined);
});

test('hop headers: the client’s, without hop-by-hop, ranges and conditionals, plus the marker', () => {
  const h = hopHeaders(work({ headers: { accept: 'application/json', range: 'bytes=0-1', 'if-none-match': '"x"', connection: 'keep-alive', host: 'a', [HOP_HEADER]: 'forged' } }), 'http://me:1');
  assert.equal(h, { accept: 'application/json', [HOP_HEADER]: 'http://me:1', 'x-request-id': 'r1', 'accept-encoding': 'identity' });
});

test('send: an answer streams back; a refused connection and a starting node (503 without X-Cache) are unreachable', async () => {
  const seen: string[] = [];
  const srv = createServer((req, res) => {
    seen.push(`${req.url} ${String(req.headers[HOP_HEADER])}`);
    if (req.url === '/files/starting') { res.writeHead(503); res.end('starting'); return; }
    res.writeHead(200, { 'content-length': '5', 'x-cache': 'MISS' });
    res.end('hello');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const node = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const f = new Forwarder('http://me:1', 500);
  try {
    const r = await f.send(node, work(), '/files/a');
    assert.is(r.type, 'answered');
    if (r.type === 'answered') {
      const chunks: Buffer[] = [];
      for await (const c of r.resp.body) chunks.push(c as Buffer);
      assert.is(Buffer.concat(chunks).toString(), 'hello');
      assert.is(r.resp.status, 200);
    }
    assert.equal(seen, ['/files/a http://me:1']);
    assert.is((await f.send(node, work(), '/files/starting')).type, 'unreachable');
    assert.ok(await f.probe(node, '/-/cluster/health', AbortSignal.timeout(1000)));
    srv.close();
    srv.closeAllConnections();
    const gone = await f.send(node, work(), '/files/a');
    assert.is(gone.type, 'unreachable');
    assert.is(gone.type === 'unreachable' && gone.reason, 'ECONNREFUSED');
  } finally {
    srv.close();
    await f.close();
  }
});

test.run();
