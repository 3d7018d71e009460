import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, get } from 'node:http';
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendFileRange } from './send-file.js';

const dir = mkdtempSync(join(tmpdir(), 'send-file-'));
const MiB = 1024 * 1024;
// several chunks of the largest size, and a file that outlasts the socket buffers when a client leaves
const data = randomBytes(3 * MiB + 12345);
const big = randomBytes(64 * MiB);
const bigFile = join(dir, 'big');
writeFileSync(bigFile, big);
const file = join(dir, 'blob');
writeFileSync(file, data);

function serve(start: number, end: number): Promise<{ body: Buffer; sent: boolean; counted: number }> {
  return new Promise((resolve) => {
    let counted = 0;
    let sent!: Promise<boolean>;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(end - start + 1) });
      sent = sendFileRange(file, start, end, res, (n) => { counted += n; }).then((ok) => { res.end(); return ok; });
    }).listen(0, '127.0.0.1', () => {
      get(`http://127.0.0.1:${(server.address() as { port: number }).port}/`, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', async () => { const ok = await sent; server.close(); resolve({ body: Buffer.concat(parts), sent: ok, counted }); });
      });
    });
  });
}

test('whole file and ranges arrive byte for byte, two buffers reused across chunks', async () => {
  for (const [s, e] of [[0, data.length - 1], [100, 199], [MiB - 1, MiB], [MiB, 2 * MiB + 5], [data.length - 10, data.length - 1]] as const) {
    const r = await serve(s, e);
    assert.ok(r.body.equals(data.subarray(s, e + 1)), `${s}-${e}`);
    assert.ok(r.sent, `sent ${s}-${e}`);
    assert.is(r.counted, e - s + 1);
  }
});

test('a client that leaves mid-file ends the copy with false', async () => {
  const result = await new Promise<boolean>((resolve) => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(big.length) });
      void sendFileRange(bigFile, 0, big.length - 1, res, () => undefined).then((ok) => { server.close(); resolve(ok); });
    }).listen(0, '127.0.0.1', () => {
      const req = get(`http://127.0.0.1:${(server.address() as { port: number }).port}/`, (res) => { res.once('data', () => req.destroy()); });
      req.on('error', () => undefined);
    });
    server.on('connection', (s) => s.setNoDelay(true));
  });
  assert.is(result, false);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
