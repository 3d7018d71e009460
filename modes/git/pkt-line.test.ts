import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pktLine, readUploadRequest } from './pkt-line.js';

const A = 'a'.repeat(40), B = 'b'.repeat(40);

test('a v2 fetch: command, wants, haves, deepen, filter, done (delim and flush packets skipped)', () => {
  const body = Buffer.from(pktLine('command=fetch') + pktLine('agent=git/2.39.5') + '0001' + pktLine(`want ${A}\n`) + pktLine(`want ${B}\n`)
    + pktLine(`have ${B}\n`) + pktLine('deepen 1\n') + pktLine('filter blob:none\n') + pktLine('done\n') + '0000');
  assert.equal(readUploadRequest(body), { command: 'fetch', wants: 2, haves: 1, done: true, deepen: 'deepen 1', filter: 'blob:none' });
});

test('a v0 request has no command; a truncated body stops the reader', () => {
  const body = Buffer.from(pktLine(`want ${A} multi_ack_detailed side-band-64k\n`) + '0000' + pktLine('done\n'));
  assert.equal(readUploadRequest(body), { wants: 1, haves: 0, done: true });
  assert.equal(readUploadRequest(Buffer.from(pktLine(`want ${A}\n`) + '00ff' + 'want')), { wants: 1, haves: 0, done: false });
  assert.equal(readUploadRequest(Buffer.from('zzzz')), { wants: 0, haves: 0, done: false });
});



test('ls-refs output: a ref listed twice is listed once, everything else copied', async () => {
  const { uniqueRefLines } = await import('./pkt-line.js');
  const head = pktLine(`${A} HEAD symref-target:refs/heads/main\n`);
  const body = head + pktLine(`${A} refs/heads/main\n`) + head + pktLine(`${B} refs/tags/v1 peeled:${A}\n`) + '0000';
  assert.is(uniqueRefLines(Buffer.from(body)).toString(), head + pktLine(`${A} refs/heads/main\n`) + pktLine(`${B} refs/tags/v1 peeled:${A}\n`) + '0000');
});
test.run();
