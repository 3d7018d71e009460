// undici's HTTP/1 parser bug, patched at install (patches/undici+*.patch): an upstream that closes the
// connection while the response body is paused by backpressure used to throw an uncatchable
// AssertionError from the socket's 'end' handler and kill the process. Each case runs in a child
// process so that, without the patch, the crash is observed instead of taking this file down.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const undiciEntry = createRequire(import.meta.url).resolve('undici');
const BODY = 64 * 1024;

/** the child: a node:net upstream that answers once and closes; the body is read only after the FIN */
const child = `
const { Client } = require(${JSON.stringify(undiciEntry)});
const { createServer } = require('node:net');
const framing = process.argv[1];
const payload = Buffer.alloc(${BODY}, 0x61);
const heads = {
  cl: 'HTTP/1.1 200 OK\\r\\nContent-Length: ${BODY}\\r\\nConnection: close\\r\\n\\r\\n',
  short: 'HTTP/1.1 200 OK\\r\\nContent-Length: ${BODY * 2}\\r\\nConnection: close\\r\\n\\r\\n',
  eof: 'HTTP/1.0 200 OK\\r\\n\\r\\n',
  chunked: 'HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\nConnection: close\\r\\n\\r\\n',
  unterminated: 'HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\nConnection: close\\r\\n\\r\\n',
};
const server = createServer((s) => s.once('data', () => {
  s.write(heads[framing]);
  if (framing === 'chunked' || framing === 'unterminated') s.write(payload.length.toString(16) + '\\r\\n');
  s.write(payload);
  if (framing === 'chunked') s.write('\\r\\n0\\r\\n\\r\\n');
  s.end();
}));
server.listen(0, '127.0.0.1', () => {
  const client = new Client('http://127.0.0.1:' + server.address().port);
  client.request({ path: '/', method: 'GET' }, (err, res) => {
    if (err) { console.log(JSON.stringify({ error: err.code || err.name })); process.exit(0); }
    const chunks = [];
    const done = (r) => { console.log(JSON.stringify(r)); client.destroy(); server.close(); };
    res.body.on('end', () => done({ bytes: Buffer.concat(chunks).length }));
    res.body.on('error', (e) => done({ error: e.code || e.name, bytes: Buffer.concat(chunks).length }));
    // consume only after the FIN has been handled while the parser is paused
    setTimeout(() => res.body.on('data', (c) => chunks.push(c)), 150);
  });
});
`;

function run(framing: string): { status: number | null; out: string; err: string; result?: { bytes?: number; error?: string } } {
  const r = spawnSync(process.execPath, ['-e', child, framing], { encoding: 'utf8', timeout: 30_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let result: { bytes?: number; error?: string } | undefined;
  try { result = JSON.parse(line) as typeof result; } catch { /* crashed */ }
  return { status: r.status, out: r.stdout, err: r.stderr, result };
}

for (const framing of ['cl', 'eof', 'chunked']) {
  test(`${framing} body paused by backpressure when the upstream closes: completes with every byte, no crash`, () => {
    const r = run(framing);
    assert.not.match(r.err, /AssertionError/, r.err);
    assert.is(r.status, 0, r.err);
    assert.equal(r.result, { bytes: BODY });
  });
}

test('a short Content-Length body closed while paused is an error, never a completion', () => {
  const r = run('short');
  assert.not.match(r.err, /AssertionError/, r.err);
  assert.is(r.status, 0, r.err);
  assert.is(r.result?.error, 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH');
});

test('an unterminated chunked body closed while paused is an error, never a completion', () => {
  const r = run('unterminated');
  assert.not.match(r.err, /AssertionError/, r.err);
  assert.is(r.status, 0, r.err);
  assert.ok(r.result?.error, JSON.stringify(r.result));
  assert.not.ok(r.result?.bytes === BODY && !r.result?.error);
});

test.run();
