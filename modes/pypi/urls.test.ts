import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileRefOfHex, fileRefOfPath, filesKey, keyOfRef, proxiedUrl, upstreamUrlOf } from './urls.js';

const m = { upstream: 'https://index.example/pypi', publicBase: 'http://proxy.test/py', allowed: (u: URL) => u.origin === 'https://files.example' };
const page = 'https://index.example/pypi/simple/demo/';

test('page URLs: index pages to /simple/, allowed files to /files/<host>/, other origins unchanged', () => {
  assert.is(proxiedUrl('../other/', page, m), 'http://proxy.test/py/simple/other/');
  assert.is(proxiedUrl('https://files.example/p/a/demo-1.0.tar.gz#sha256=ab', page, m), 'http://proxy.test/py/files/files.example/p/a/demo-1.0.tar.gz#sha256=ab');
  assert.is(proxiedUrl('/packages/demo-1.0-py3-none-any.whl?x=1#sha256=ab', page, m), 'http://proxy.test/py/files/index.example/packages/demo-1.0-py3-none-any.whl?x=1#sha256=ab', 'the upstream origin is always allowed');
  assert.is(proxiedUrl('https://elsewhere.example/x.whl', page, m), null);
  assert.is(proxiedUrl('ftp://files.example/x', page, m), null);
  assert.is(proxiedUrl('http://index.example:8080/x.whl', page, m), null, 'another port is another origin');
});

test('files requests: readable and legacy hex forms name the same key and upstream URL', () => {
  const readable = fileRefOfPath('Files.Example', 'p/a/demo 1.whl')!;
  const url = 'https://files.example/p/a/demo%201.whl';
  const legacy = fileRefOfHex(Buffer.from(url).toString('hex'))!;
  assert.is(keyOfRef(readable), 'files.example/p/a/demo 1.whl');
  assert.is(keyOfRef(legacy), keyOfRef(readable));
  assert.is(filesKey(new URL(url)), keyOfRef(readable));
  assert.is(upstreamUrlOf(readable, m.upstream, (u) => u.startsWith('https://files.example/')), url);
  assert.is(upstreamUrlOf(readable, m.upstream, () => false), null, 'no allowed origin: nothing to fetch');
  assert.is(upstreamUrlOf(fileRefOfPath('index.example', 'x.whl')!, m.upstream, () => false), 'https://index.example/x.whl', "the upstream's origin, its scheme");
  assert.is(upstreamUrlOf({ ...legacy, query: '?t=1' }, m.upstream, () => true), `${url}?t=1`);
  assert.is(fileRefOfHex('zz'), null);
  assert.is(fileRefOfHex(Buffer.from('file:///etc/passwd').toString('hex')), null);
  assert.is(fileRefOfPath('169.254.169.254', 'latest/meta-data')!.host, '169.254.169.254');
  assert.is(fileRefOfPath('a/b', 'x'), null);
});

test.run();
