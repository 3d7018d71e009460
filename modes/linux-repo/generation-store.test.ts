import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GenerationStore } from './generation-store.js';
import { ridOf, type Manifest } from './generation.js';
import { testStore, type TestStore } from './test-store.js';

const dir = mkdtempSync(join(tmpdir(), 'cp-repostore-'));
let t: TestStore;
let store: GenerationStore;
const body = Buffer.from('Package: x\n'.repeat(100));
const pins = { size: body.length, sha256: createHash('sha256').update(body).digest('hex'), sha512: createHash('sha512').update(body).digest('hex') };

test.before(async () => { t = await testStore(dir); store = new GenerationStore(t.blobs, t.state); });

test('receive: pinned bytes are committed content-addressed with their headers', async () => {
  const rec = await store.receive(Readable.from([body]), { pins, max: 1 << 20, headers: { 'content-type': 'text/plain', etag: '"e"' } });
  assert.is(rec.sha256, pins.sha256);
  assert.is(rec.hashes.sha512, pins.sha512);
  assert.is(rec.etag, '"e"');
  assert.ok(readFileSync(store.path(rec.sha256)).equals(body));
  assert.ok(t.holds.has(rec.sha256), 'a committed blob is held from the start');
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
    assert.not.ok(existsSync(store.path(createHash('sha256').update(b).digest('hex'))) && code !== 'E_TOO_LARGE');
  }
  assert.equal(readdirSync(t.tmpDir), []);
});

test('hold: exactly the blobs stored manifests name, plus recent commits', async () => {
  const m = { primary: { InRelease: { absent: true } }, files: { Packages: { sha256: pins.sha256 } }, index: 'c'.repeat(64) } as unknown as Manifest;
  store.hold([m]);
  assert.equal([...t.holds.all()].sort(), [pins.sha256, 'c'.repeat(64)].sort());
});

test('root generations: one state document per root, read back as written', async () => {
  const rid = ridOf('deb_flat:x');
  assert.is(await store.readGenerations(rid), null);
  await store.writeGenerations(rid, { version: 1, current: 3, maxN: 3, manifests: [] });
  assert.equal(await store.readGenerations(rid), { version: 1, current: 3, maxN: 3, manifests: [] });
  await store.dropRoot(rid);
  assert.is(await store.readGenerations(rid), null);
});

test('root ids: readable slug plus a digest, distinct for distinct ids', () => {
  assert.match(ridOf('deb_distribution:debian/dists/bookworm'), /^deb-distribution-debian-dists-bookworm-[0-9a-f]{16}$/);
  assert.is.not(ridOf('deb_flat:a/b'), ridOf('deb_flat:a-b'));
});

test.after(async () => { await t.store.close(); rmSync(dir, { recursive: true, force: true }); });
test.run();
