import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fill, readFromFill, type ReadSink } from '../cache/fill.js';
import type { Instance, Resolved } from '../instance.js';
import type { KindSpec } from '../mode.js';
import type { EngineCtx } from './context.js';
import { writeAnswer } from './serve.js';
import type { Reply, Work } from './work.js';

test('a request that joined a pass-through fill after its first bytes left memory writes nothing and is decided again', async () => {
  const body = new PassThrough();
  const fill = new Fill({
    body, tempPath: join(tmpdir(), `serve-again-${process.pid}.part`), store: false, detachedBudget: 0,
    commit: () => Promise.reject(new Error('never stored')), isNoSpace: () => false,
  });
  // the first reader passes the first bytes: the memory holding them is dropped
  const parts: Buffer[] = [];
  const first: ReadSink = { write: async (b) => { parts.push(Buffer.from(b)); }, closed: () => false };
  const reading = readFromFill(fill, first);
  body.write(Buffer.alloc(64 * 1024, 7));
  for (const end = Date.now() + 10_000; fill.joinable && Date.now() < end;) await new Promise((r) => setTimeout(r, 5));
  assert.not.ok(fill.joinable);

  const spec = { policy: 'immutable' } as KindSpec;
  const inst = { name: 'i', def: { kinds: { file: spec } } } as unknown as Instance;
  const resolved = { kind: 'file', spec, policy: 'immutable' } as Resolved;
  const w = { inst, method: 'GET', kind: 'file', resolved, requestId: 'r', match: { path: 'a' } } as unknown as Work;
  let outcome: unknown;
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const r: Reply = { req, res, bytes: 0 };
    outcome = await writeAnswer({} as EngineCtx, w, r, { type: 'fill', fill, head: { status: 200, headers: {} }, label: 'JOIN' } as never);
    assert.not.ok(res.headersSent, 'nothing written');
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const status = await new Promise<number>((resolve, reject) => {
    request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/a' }, (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject).end();
  });
  assert.is(outcome, 'again');
  assert.is(status, 204);
  body.end();
  assert.ok(await reading);
  assert.is(Buffer.concat(parts).length, 64 * 1024);
  server.close();
});

test.run();
