// The completed-file check of apk v2 packages, on the hand-made fixture (conformance/fixtures/apk/make.mjs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { apkFormat, indexRoot } from './format.js';
import { gzipMember } from './package.js';
import type { PackageEntry } from '../linux-repo/package-index.js';
import { apkFixture, REPO_DIR } from './test-fixture.js';

const file = (tree: string, name: string) => readFileSync(join(apkFixture(), tree, REPO_DIR, name));
async function entryOf(tree: string, name: string): Promise<PackageEntry> {
  for await (const e of apkFormat.readIndex('APKINDEX.tar.gz', Readable.from([file(tree, 'APKINDEX.tar.gz')]), indexRoot(REPO_DIR))) if (e.path.endsWith(`/${name}`)) return e;
  throw new Error(`${name} not listed`);
}
const check = async (tree: string, name: string, listedIn = 'v1') => apkFormat.checkArtifact!(await entryOf(listedIn, name), () => Readable.from([file(tree, name)]));

test('gzip members: lengths found without the next member, flags honoured', () => {
  const a = gzipSync(Buffer.from('a'.repeat(1000))), b = gzipSync(Buffer.from('b'));
  const m = gzipMember(Buffer.concat([a, b]), 0);
  assert.is(m.length, a.length);
  assert.is(m.inflated.toString(), 'a'.repeat(1000));
  assert.is(gzipMember(Buffer.concat([a, b]), a.length).inflated.toString(), 'b');
  assert.throws(() => gzipMember(a.subarray(0, a.length - 3), 0), /cut short/);
});

test('a package matching its index passes: control SHA-1 = C:, data SHA-256 = datahash', async () => {
  assert.is(await check('v1', 'cp-hello-1.0-r0.apk'), null);
  assert.is(await check('v1', 'cp-data-1.0-r0.apk'), null);
});

test('an altered control segment fails on C:, an altered data segment on datahash', async () => {
  assert.match((await check('corrupt', 'cp-data-1.0-r0.apk'))!, /control segment SHA-1 [0-9a-f]{40} differs/);
  assert.match((await check('corrupt', 'cp-hello-1.0-r0.apk'))!, /data segment SHA-256 [0-9a-f]{64} differs from the datahash/);
  const html = await apkFormat.checkArtifact!({ path: 'x.apk', size: 6, check: '0'.repeat(40) }, () => Readable.from([Buffer.from('<html>')]));
  assert.match(html!, /not an apk v2 package/);
});

test('a package without a signature segment: the first member is the control', async () => {
  const whole = file('v1', 'cp-hello-1.0-r0.apk');
  const sig = gzipMember(whole, 0).length;
  const e = await entryOf('v1', 'cp-hello-1.0-r0.apk');
  assert.is(await apkFormat.checkArtifact!(e, () => Readable.from([whole.subarray(sig)])), null);
});

test.run();
