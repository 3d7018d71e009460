import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadConfigText } from '../config/load.js';
import { builtinModes } from '../../modes/index.js';
import { Instance } from '../instance.js';
import { m } from '../metrics.js';
import { StatusBoard } from './status.js';

const CONFIG = (bind: string, extra = '') => `server: { bind: "${bind}", backend: /tmp/cp-status-test${extra} }
instances:
  - { name: files, enabled: true, file: { route: { path: /files }, upstreams: ["http://127.0.0.1:1"] } }
`;

async function render(bind: string, extra = ''): Promise<string> {
  const cfg = loadConfigText(CONFIG(bind, extra), { file: 'c.yaml', env: {}, modes: builtinModes }).config!;
  const inst = new Instance(builtinModes.find((d) => d.name === 'file')!, cfg.instances[0]!);
  const board = new StatusBoard(cfg, { read: async () => null, write: async () => undefined }, [inst], async () => ({ blobBytes: 3 * 1024 * 1024, tmpBytes: 0, freeBytes: 10 * 2 ** 30 }), () => 7);
  board.instanceBytes = () => 2 * 1024 * 1024;
  board.event({ instance: 'files', result: 'verify_failed', message: 'app.zip: checksum mismatch' });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const res = Object.assign(out, { writeHead() { return this; } }) as unknown as ServerResponse;
  await board.homePage({ method: 'GET' } as IncomingMessage, res, 'http://127.0.0.1:18080');
  return Buffer.concat(chunks).toString();
}

test('home page: per instance requests, hit ratio, bytes served and stored, setup line; storage and recent events', async () => {
  m.requests.inc({ instance: 'files', mode: 'file', kind: 'file', method: 'GET', cache: 'HIT', status: '200' }, 3);
  m.requests.inc({ instance: 'files', mode: 'file', kind: 'file', method: 'GET', cache: 'MISS', status: '200' }, 1);
  m.responseBytes.inc({ instance: 'files', kind: 'file', cache: 'HIT' }, 4096);
  const html = await render('127.0.0.1:18080');
  assert.match(html, /4 requests/);
  assert.match(html, /hit ratio 75\.0 %/);
  assert.match(html, /4\.0 KiB served/);
  assert.match(html, /2\.0 MiB stored/);
  assert.match(html, /curl -O http:\/\/127\.0\.0\.1:18080\/files\/&lt;path&gt;/);
  assert.match(html, /3\.0 MiB used/);
  assert.match(html, /7 entries/);
  assert.match(html, /checksum mismatch/);
  assert.not.match(html, /without access tokens/);
});

test('home page: a non-loopback bind without tokens is warned about; a status token hides the counters', async () => {
  assert.match(await render('0.0.0.0:18080'), /beyond this machine, without access tokens/);
  const hidden = await render('127.0.0.1:18080', ', status: { token: secret-token }');
  assert.not.match(hidden, /requests|served|checksum mismatch/);
  assert.match(hidden, /curl -O/);
});

test.run();
