import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expandTemplate } from './template.js';

const f = { crate: 'Fx_Mixed', version: '0.1.0', cksum: 'ab'.repeat(32) };

test('every marker, the name as the index spells it', () => {
  assert.is(expandTemplate('http://d/files/{lowerprefix}/{crate}/{crate}-{version}.crate', f), 'http://d/files/fx/_m/Fx_Mixed/Fx_Mixed-0.1.0.crate');
  assert.is(expandTemplate('http://d/{prefix}/{crate}/{version}', f), 'http://d/Fx/_M/Fx_Mixed/0.1.0');
  assert.is(expandTemplate('http://d/by-sum/{sha256-checksum}/{crate}', f), `http://d/by-sum/${f.cksum}/Fx_Mixed`);
  assert.is(expandTemplate('http://d/{prefix}', { ...f, crate: 'abc' }), 'http://d/3/a');
});

test('no marker: cargo appends /{crate}/{version}/download', () => {
  assert.is(expandTemplate('http://d/crates', f), 'http://d/crates/Fx_Mixed/0.1.0/download');
  assert.is(expandTemplate('http://d/crates/', f), 'http://d/crates/Fx_Mixed/0.1.0/download');
  assert.is(expandTemplate('http://d/s/{sha256-checksum}', f), `http://d/s/${f.cksum}`, 'the checksum alone is a marker to cargo');
});

test.run();
