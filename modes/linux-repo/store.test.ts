import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { RepoStore, ridOf } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'cp-repostore-'));
const docs = new Map<string, unknown>();
const store = new RepoStore(dir, { read: async (n) => docs.get(n) ?? null, write: async (n, d) => { docs.set(n, d); } });
const body = Buffer.from('Package: x\n'.repeat(100));
const pins = { size: body.length, sha256: createHash('sha256').update(body).digest('hex'), sha512: createHash('sha512').update(body).digest('hex') };

test('receive: pinned bytes are committed content-addressed with their headers', async () => {
  await store.open();
  const rec = await store.receive(Readable.from([body]), { pins, max: 1 << 20, headers: { 'content-type': 'text/plain', etag: '"e"' } });
  assert.is(rec.sha256, pins.sha256);
  assert.is(rec.hashes.sha512, pins.sha512);
  assert.is(rec.etag, '"e"');
  assert.ok(readFileSync(store.metaPath(rec.sha256)).equals(body));
});

test('receive: other bytes, a longer body or one over the size cap → error, nothing stored, no temp left', async () => {
  for (const [b, o, code] of [
    [Buffer.from(body).fill(65, 0, 1), { pins, max: 1 << 20 }, 'E_MISMATCH'],
    [Buffer.concat([body, Buffer.from('x')]), { pins, max: 1 << 20 }, 'E_MISMATCH'],
    [body, { max: 10 }, 'E_TOO_LARGE'],
  ] as const) {
    let got = '';
    try { await store.receive(Readable.from([b]), o); } catch (e) { got = (e as { code: string }).code; }
    assert.is(got, code);
    assert.not.ok(existsSync(store.metaPath(createHash('sha256').update(b).digest('hex'))) && code !== 'E_TOO_LARGE');
  }
  assert.equal(readdirSync(store.tmp), []);
});

test('root ids: readable slug plus a digest, distinct for distinct ids', () => {
  assert.match(ridOf('deb_distribution:debian/dists/bookworm'), /^deb-distribution-debian-dists-bookworm-[0-9a-f]{16}$/);
  assert.is.not(ridOf('deb_flat:a/b'), ridOf('deb_flat:a-b'));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
