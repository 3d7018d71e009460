// Unit test of the example mode's hooks (docs/writing-a-mode.md): no proxy, a stub context.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { stubHookContext } from '../../engine/mode-testing.js';
import type { Match } from '../../engine/mode.js';
import { filePins, indexFiles } from './index.js';

const match = (params: Record<string, string>): Match => ({
  method: 'GET', path: '', headers: {}, query: new URLSearchParams(), params, segments: [], trailingSlash: false, config: {},
});
const hex = 'a'.repeat(64);

test('index: one pin per listed file with a well-formed sha256, grouped by package', async () => {
  const body = Readable.from([Buffer.from(JSON.stringify({ files: { 'a.bin': { sha256: hex }, 'b.bin': { sha256: 'short' } } }))]);
  const out = await indexFiles({ body, headers: {}, match: match({ pkg: 'demo' }), ctx: stubHookContext({}) });
  assert.equal(out, { pins: [{ group: 'demo', entries: { 'a.bin': { sha256: hex } } }] });
});

test('index: a document without files is refused (502, nothing stored)', async () => {
  const body = Readable.from([Buffer.from('{}')]);
  await indexFiles({ body, headers: {}, match: match({ pkg: 'demo' }), ctx: stubHookContext({}) }).then(
    () => assert.unreachable('accepted'), (e: Error) => assert.match(e.message, /lists no files/));
});

test('pinnedBy: the pin of <pkg>/files/<file> lives in group <pkg>, learned from <pkg>/index.json', () => {
  const m = match({ pkg: 'demo', file: 'a.bin' });
  assert.equal(filePins.pin(m), { group: 'demo', key: 'a.bin' });
  assert.equal(filePins.source(m), { path: 'demo/index.json' });
  assert.equal(filePins.expected({ sha256: hex }, m), { sha256: hex, source: 'demo/index.json' });
  assert.is(filePins.expected({}, m), null);
});

test.run();
