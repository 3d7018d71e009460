import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { stubHookContext } from '../../engine/mode-testing.js';
import type { Match } from '../../engine/mode.js';
import { hash1, hash1GoMod } from './dirhash.js';
import { hashEntries, zipEntries } from './zip-reader.js';
import { parseSignedNote, parseVerifierKey, signedBy } from './signed-note.js';
import { parseLookup, recordedHash } from './lookup.js';
import { checkSumdbAnswer, checkVersionFile, checkZip } from './checks.js';
import { settings } from './settings.js';

const FX = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'conformance', 'fixtures', 'go');
const zipOf = (m: string, v: string) => join(FX, 'g1', m, '@v', `${v}.zip`);
const opener = (file: string) => () => createReadStream(file);
/** the error a promise rejects with (fails when it resolves) */
async function rejection(p: () => Promise<unknown>): Promise<Error> {
  try { await p(); } catch (e) { return e as Error; }
  throw new Error('expected a rejection');
}
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => { const p = join(dir, n); return statSync(p).isDirectory() ? filesUnder(p) : [p]; });
}

/** the h1 of a source tree by coreutils: sha256sum prints exactly the lines h1 hashes ("<hex>  <name>") */
function h1BySha256sum(parent: string, tree: string): string {
  const names = filesUnder(join(parent, tree)).map((f) => relative(parent, f)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const lines = execFileSync('sha256sum', names, { cwd: parent });
  return `h1:${createHash('sha256').update(lines).digest('base64')}`;
}

test('zip reader: each entry of a gofx zip hashes to its source file; the h1 equals the one sha256sum gives', async () => {
  for (const [m, v, src] of [['example.com/fx/demo', 'v1.0.0', 'example.com/fx/demo@v1.0.0'], ['example.com/fx/!upper', 'v1.0.0', 'example.com/fx/Upper@v1.0.0']] as const) {
    const file = zipOf(m, v);
    const entries = await zipEntries(opener(file), statSync(file).size);
    const files = await hashEntries(opener(file), entries, 1 << 30);
    const sources = filesUnder(join(FX, 'src', 'g1', src));
    assert.is(files.size, sources.length);
    for (const f of sources) assert.is(files.get(relative(join(FX, 'src', 'g1'), f)), sha256(readFileSync(f)), f);
    assert.is(hash1(files), h1BySha256sum(join(FX, 'src', 'g1'), src));
  }
  const mod = readFileSync(join(FX, 'g1', 'example.com/fx/demo/@v/v1.0.0.mod'));
  const d = mkdtempSync(join(tmpdir(), 'cp-gomod-'));
  try { writeFileSync(join(d, 'go.mod'), mod); assert.is(hash1GoMod(mod), `h1:${createHash('sha256').update(execFileSync('sha256sum', ['go.mod'], { cwd: d })).digest('base64')}`); } finally { rmSync(d, { recursive: true }); }
});

test('zip reader: a truncated or non-zip body is refused; an entry larger than its directory says too', async () => {
  const file = zipOf('example.com/fx/demo', 'v1.0.0');
  const whole = readFileSync(file);
  const from = (b: Buffer) => () => Readable.from([b]);
  assert.match((await rejection(() => zipEntries(from(whole.subarray(0, whole.length - 10)), whole.length - 10))).message, /end of central directory|out of bounds/);
  assert.match((await rejection(() => zipEntries(from(Buffer.from('not a zip at all, just text that is long enough')), 47))).message, /not a zip/);
  const entries = await zipEntries(from(whole), whole.length);
  assert.match((await rejection(() => hashEntries(from(whole), entries.map((e) => ({ ...e, size: e.size - 1 })), 1 << 30))).message, /larger than its directory entry says/);
  assert.match((await rejection(() => hashEntries(from(whole), entries, 10))).message, /uncompressed/);
});

/** a verifier key and a signer in the checksum database's note format */
function noteKey(name: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const material = Buffer.concat([Buffer.from([1]), pub]);
  const hash = createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`), material])).digest().subarray(0, 4);
  return {
    vkey: `${name}+${hash.toString('hex')}+${material.toString('base64')}`,
    sign: (text: string) => `${text}\n\u2014 ${name} ${Buffer.concat([hash, sign(null, Buffer.from(text), privateKey)]).toString('base64')}\n`,
  };
}

test('signed notes: a valid signature by the key verifies; altered text, another key or another name do not', () => {
  const k = noteKey('sumdb.fx.example');
  const text = 'go.sum database tree\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n';
  const note = parseSignedNote(k.sign(text));
  assert.is(note.text, text);
  assert.ok(signedBy(note, parseVerifierKey(k.vkey)));
  assert.not.ok(signedBy(parseSignedNote(k.sign(text).replace('\n3\n', '\n4\n')), parseVerifierKey(k.vkey)));
  assert.not.ok(signedBy(note, parseVerifierKey(noteKey('sumdb.fx.example').vkey)));
  assert.not.ok(signedBy(note, parseVerifierKey(noteKey('other.example').vkey)));
  assert.throws(() => parseVerifierKey('sumdb.fx.example+0000+AAAA'));
});

const tree = 'go.sum database tree\n2\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n';
const lookupBody = (sign: (t: string) => string, zipH: string, modH: string) =>
  `1\nexample.com/fx/demo v1.0.0 ${zipH}\nexample.com/fx/demo v1.0.0/go.mod ${modH}\n\n${sign(tree)}`;

test('lookups: the record lines and the note; the zip and go.mod hashes by module and version', () => {
  const k = noteKey('sumdb.fx.example');
  const a = parseLookup(lookupBody(k.sign, 'h1:zip=', 'h1:mod='));
  assert.is(recordedHash(a, 'example.com/fx/demo', 'v1.0.0'), 'h1:zip=');
  assert.is(recordedHash(a, 'example.com/fx/demo', 'v1.0.0/go.mod'), 'h1:mod=');
  assert.is(recordedHash(a, 'example.com/fx/demo', 'v1.1.0'), undefined);
  assert.throws(() => parseLookup('not a lookup\n'));
});

/** a hook context whose checksum database answers every lookup with `body` */
function ctxWith(block: Record<string, unknown>, lookup: { status: number; body: string }) {
  const config = { proxies: ['http://g1.example'], goprivate: [], gonosumdb: [], ...block };
  const fetched: string[] = [];
  return { fetched, ctx: stubHookContext({ config, settings: settings.parse(config), fetchThrough: async (p: string) => { fetched.push(p); return { status: lookup.status, body: Buffer.from(lookup.body) }; } }) };
}
const matchOf = (path: string) => ({ path, method: 'GET', headers: {}, query: new URLSearchParams(), params: {}, segments: path.split('/'), trailingSlash: false, config: {} }) as Match;

test('checkZip: a zip whose h1 differs from the record is refused with both hashes; the record\'s own h1 passes', async () => {
  const k = noteKey('sumdb.fx.example');
  const file = zipOf('example.com/fx/demo', 'v1.0.0');
  const size = statSync(file).size;
  const good = hash1(await hashEntries(opener(file), await zipEntries(opener(file), size), 1 << 30));
  const sumdb = { enabled: true, name: 'sumdb.fx.example', url: 'http://s.example', key: k.vkey };
  const match = matchOf('example.com/fx/demo/@v/v1.0.0.zip');
  const bad = ctxWith({ sumdb }, { status: 200, body: lookupBody(k.sign, 'h1:AAAA', 'h1:x') });
  const out = await checkZip({ open: opener(file), size, headers: {}, match, ctx: bad.ctx }) as string;
  assert.is(out, `verifying example.com/fx/demo@v1.0.0: checksum mismatch: checksum database says h1:AAAA, upstream sent ${good}; nothing was cached`);
  assert.equal(bad.fetched, ['sumdb/sumdb.fx.example/lookup/example.com/fx/demo@v1.0.0']);
  const ok = ctxWith({ sumdb }, { status: 200, body: lookupBody(k.sign, good, 'h1:x') });
  assert.is(await checkZip({ open: opener(file), size, headers: {}, match, ctx: ok.ctx }), null);
  const forged = ctxWith({ sumdb }, { status: 200, body: lookupBody(noteKey('sumdb.fx.example').sign, good, 'h1:x') });
  assert.match((await checkZip({ open: opener(file), size, headers: {}, match, ctx: forged.ctx }) as string), /no valid signature/);
  const exempt = ctxWith({ sumdb, gonosumdb: ['example.com/fx'] }, { status: 200, body: lookupBody(k.sign, 'h1:AAAA', 'h1:x') });
  assert.is(await checkZip({ open: opener(file), size, headers: {}, match, ctx: exempt.ctx }), null, 'gonosumdb: structure only');
  assert.equal(exempt.fetched, []);
  const off = ctxWith({ sumdb: { enabled: false } }, { status: 200, body: '' });
  assert.is(await checkZip({ open: opener(file), size, headers: {}, match, ctx: off.ctx }), null, 'structure only');
  assert.equal(off.fetched, []);
});

test('checkVersionFile: .info must name the requested version; .mod is checked against the record\'s go.mod hash', async () => {
  const k = noteKey('sumdb.fx.example');
  const sumdb = { enabled: true, name: 'sumdb.fx.example', url: 'http://s.example' };
  const info = Buffer.from('{"Version":"v1.1.0","Time":"2021-01-01T00:00:00Z"}\n');
  const { ctx } = ctxWith({ sumdb }, { status: 200, body: lookupBody(k.sign, 'h1:z', hash1GoMod(Buffer.from('module example.com/fx/demo\n'))) });
  const run = (path: string, body: Buffer) => checkVersionFile({ open: () => Readable.from([body]), size: body.length, headers: {}, match: matchOf(path), ctx });
  assert.is(await run('example.com/fx/demo/@v/v1.1.0.info', info), null);
  assert.match(((await run('example.com/fx/demo/@v/v1.0.0.info', info)) as string), /names Version v1\.1\.0/);
  assert.is(await run('example.com/fx/demo/@v/v1.0.0.mod', Buffer.from('module example.com/fx/demo\n')), null);
  assert.match(((await run('example.com/fx/demo/@v/v1.0.0.mod', Buffer.from('module example.com/fx/other\n'))) as string), /^verifying example\.com\/fx\/demo@v1\.0\.0\/go\.mod: checksum mismatch/);
});

test('checkSumdbAnswer: hash tiles hold whole hashes (as many as the tile\'s width); lookups must be record + note', async () => {
  const { ctx } = ctxWith({ sumdb: { enabled: true, name: 'n.example', url: 'http://s.example' } }, { status: 404, body: '' });
  const run = (rest: string, body: Buffer) => checkSumdbAnswer({ open: () => Readable.from([body]), size: body.length, headers: {}, match: matchOf(`sumdb/n.example/${rest}`), ctx });
  assert.is(await run('tile/8/0/000.p/2', Buffer.alloc(64)), null);
  assert.ok(await run('tile/8/0/000.p/2', Buffer.alloc(63)));
  assert.ok(await run('tile/8/0/000.p/2', Buffer.alloc(96)));
  assert.is(await run('tile/8/0/000', Buffer.alloc(256 * 32)), null);
  assert.is(await run('tile/8/data/000.p/2', Buffer.from('any record text')), null);
  assert.ok(await run('lookup/example.com/fx/demo@v1.0.0', Buffer.from('500 internal error\n')));
  assert.is(await run('lookup/example.com/fx/demo@v1.0.0', Buffer.from(lookupBody(noteKey('n.example').sign, 'h1:a', 'h1:b'))), null);
});

test.run();
