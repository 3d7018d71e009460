import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cratePins, downloadUrl } from './crate-pins.js';
import { cargoContext, matchOf } from './testing.js';

const cksum = 'c'.repeat(64);
const m = matchOf('api/v1/crates/Fx_Mixed/0.1.0/download', { crate: 'Fx_Mixed', version: '0.1.0' });
const pin = { cksum, name: 'Fx_Mixed' };

test('pin of a download: lower-case crate group, version key, learned from the crate index file', () => {
  assert.equal(cratePins.pin(m), { group: 'fx_mixed', key: '0.1.0' });
  assert.equal(cratePins.source(m), { path: 'fx/_m/fx_mixed' });
  assert.equal(cratePins.unknown!(m), { notFound: 'no version 0.1.0 of crate Fx_Mixed in the index' });
});

test('expectation: sha256 = cksum, with the mismatch sentence', () => {
  const want = cratePins.expected(pin, m)!;
  assert.is(want.sha256, cksum);
  assert.is(want.describe!('sha256', cksum, 'd'.repeat(64)), `checksum mismatch for Fx_Mixed@0.1.0: index cksum ${cksum}, upstream sent ${'d'.repeat(64)}; nothing was cached`);
  assert.is(cratePins.expected({ name: 'x' }, m), null);
});

test('download URL from the stored upstream dl template, or download_template when set', async () => {
  const { ctx, groups, fetched } = cargoContext();
  groups.set('config.json', { upstream: { dl: 'http://dl.example/files/{lowerprefix}/{crate}/{crate}-{version}.crate', api: '' } });
  assert.is(await downloadUrl(pin, m, ctx), 'http://dl.example/files/fx/_m/Fx_Mixed/Fx_Mixed-0.1.0.crate');
  assert.is(fetched.length, 0, 'the stored config answers');
  const own = cargoContext({ download_template: 'http://mirror.example/{sha256-checksum}' });
  assert.is(await downloadUrl(pin, m, own.ctx), `http://mirror.example/${cksum}`);
  const none = cargoContext();
  assert.is(await downloadUrl(pin, m, none.ctx), undefined, 'no config to be had: no target');
  assert.equal(none.fetched, ['config.json']);
});

test.run();
