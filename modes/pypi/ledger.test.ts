import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Match } from '../../engine/mode.js';
import { filePins, ledgerPins, strongestDigest } from './ledger.js';
import { stubHookContext } from '../../engine/mode-testing.js';

const hex = 'ab'.repeat(32);
const match = (params: Record<string, string>): Match => ({ method: 'GET', path: '', headers: {}, query: new URLSearchParams(), params, segments: [], trailingSlash: false, config: {} });

test('ledger: one pin per file, its metadata hash and its provenance URL', () => {
  const pins = ledgerPins([
    { url: new URL('https://files.example/p/demo_lib-1.0-py3-none-any.whl'), hashes: { sha256: hex.toUpperCase(), blake2b_256: 'cc' }, size: 1234, coreMetadata: { sha256: 'dd'.repeat(32) }, provenance: new URL('https://index.example/integrity/demo-lib/1.0/demo_lib-1.0-py3-none-any.whl/provenance') },
    { url: new URL('https://files.example/p/demo_lib-1.0.tar.gz'), hashes: { md5: 'ee'.repeat(16) } },
  ]);
  assert.equal(pins, {
    'files.example/p/demo_lib-1.0-py3-none-any.whl': { sha256: hex, scheme: 'https:', size: '1234' },
    'files.example/p/demo_lib-1.0-py3-none-any.whl.metadata': { sha256: 'dd'.repeat(32) },
    'prov:index.example/integrity/demo-lib/1.0/demo_lib-1.0-py3-none-any.whl/provenance': { scheme: 'https:' },
    'files.example/p/demo_lib-1.0.tar.gz': { md5: 'ee'.repeat(16), scheme: 'https:' },
  });
  assert.equal(strongestDigest({ sha512: 'aa', sha256: 'bb' }), { algo: 'sha256', hex: 'bb' });
  assert.equal(strongestDigest({ sha1: 'aa', md5: 'bb' }), { algo: 'sha1', hex: 'aa' });
  assert.is(strongestDigest({ scheme: 'https:' }), null);
});

test('file pins: group = project from the file name, key = host/path; the page is the source', async () => {
  const m = match({ host: 'files.example', rest: 'p/Demo.Name_Mixed-1.0.tar.gz' });
  assert.equal(filePins.pin(m), { group: 'demo-name-mixed', key: 'files.example/p/Demo.Name_Mixed-1.0.tar.gz' });
  assert.equal(filePins.source(m), { path: 'simple/demo-name-mixed/', headers: { accept: 'application/vnd.pypi.simple.v1+json' } });
  assert.equal(filePins.pin(match({ host: 'files.example', rest: 'p/demo-1.0-py3-none-any.whl.metadata' })), { group: 'demo', key: 'files.example/p/demo-1.0-py3-none-any.whl.metadata' });
  assert.is(filePins.pin(match({ host: '169.254.169.254', rest: 'latest/meta-data' })), null, 'not a distribution: nothing to learn');
  const hexForm = match({ hex: Buffer.from('https://files.example/p/demo-1.0.tar.gz').toString('hex') });
  assert.equal(filePins.pin(hexForm), { group: 'demo', key: 'files.example/p/demo-1.0.tar.gz' });
  const want = filePins.expected({ sha256: hex, size: '10' }, m)!;
  assert.is(want.sha256, hex);
  assert.is(want.size, 10);
  assert.is(want.describe!('sha256', 'aa', 'bb'), 'hash mismatch for Demo.Name_Mixed-1.0.tar.gz: index says sha256:aa, upstream sent sha256:bb; nothing was cached');
  assert.is(filePins.expected({ scheme: 'https:' }, m), null);
  assert.is(await filePins.target!({ scheme: 'http:' }, m, stubHookContext({})), 'http://files.example/p/Demo.Name_Mixed-1.0.tar.gz');
});

test('unknown pins: a .metadata file is kept unverified; a distribution only with require_known_hash: false', () => {
  const meta = match({ host: 'files.example', rest: 'p/demo-1.0-py3-none-any.whl.metadata' });
  const wheel = match({ host: 'files.example', rest: 'p/demo-1.0-py3-none-any.whl' });
  assert.is(filePins.unknown!(meta), 'store');
  assert.is(filePins.unknown!(wheel), 'skip');
  assert.is(filePins.unknown!({ ...wheel, config: { require_known_hash: false } }), 'store');
});

test.run();
