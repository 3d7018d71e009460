import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Match } from '../../engine/mode.js';
import { classOfName, classOfPath, fileKey } from './files.js';

const hexOf = (url: string) => Buffer.from(url).toString('hex');
const m = (path: string) => ({ path } as Match);

test('file classes: distributions, .metadata and .asc companions, anything else', () => {
  assert.is(classOfName('demo-1.0-py3-none-any.whl'), 'file');
  assert.is(classOfName('demo-1.0.tar.gz'), 'file');
  assert.is(classOfName('demo-1.0-py3-none-any.whl.metadata'), 'metadata');
  assert.is(classOfName('demo-1.0.tar.gz.asc'), 'signature');
  assert.is(classOfName('provenance'), 'other');
  assert.is(classOfPath('files/files.example/p/demo-1.0.tar.gz'), 'file');
  assert.is(classOfPath(`files/${hexOf('https://files.example/p/demo-1.0.tar.gz.asc')}`), 'signature');
  assert.is(classOfPath('files/bad host/x.whl'), null, 'no host');
  assert.is(classOfPath(`files/${hexOf('https://files.example/%zz.whl')}`), null, 'undecodable');
  assert.is(classOfPath('files/only-a-host'), null);
});

test('both forms of a file share one key: host lower case, path decoded, no query', () => {
  assert.is(fileKey(m('files/Files.Example/p/demo 1.0.tar.gz')), 'files/files.example/p/demo 1.0.tar.gz');
  assert.is(fileKey(m(`files/${hexOf('https://files.example/p/demo%201.0.tar.gz?x=1')}`)), 'files/files.example/p/demo 1.0.tar.gz');
});

test.run();
