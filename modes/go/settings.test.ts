import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGosumdb, resolveSumdb } from './settings.js';
import { discoverGo, proxiesOf } from './discover.js';

const KEY = 'sumdb.fx.example+e539e5ae+AXx2VotKSyyVdIpFvdXtvQaAnr8+mhZMcVlCCUUJ7JM3';
const noGo = () => undefined;

test('GOSUMDB forms: name, name+key, with a URL; off', () => {
  assert.equal(parseGosumdb('sum.example'), { name: 'sum.example', key: undefined, url: undefined });
  assert.equal(parseGosumdb(`${KEY} http://127.0.0.1:9/db`), { name: 'sumdb.fx.example', key: KEY, url: 'http://127.0.0.1:9/db' });
  assert.is(parseGosumdb('off'), null);
  assert.is(parseGosumdb(''), null);
});

test('the checksum database: the block first, then GOSUMDB, then go env; none → off', () => {
  assert.equal(resolveSumdb({ name: 'a.example', url: 'http://a.example/x/' }, {}, noGo), { name: 'a.example', url: 'http://a.example/x' });
  const fromKey = resolveSumdb({ key: KEY }, { GOSUMDB: 'other.example' }, noGo)!;
  assert.equal([fromKey.name, fromKey.url, fromKey.key?.name], ['sumdb.fx.example', 'https://sumdb.fx.example', 'sumdb.fx.example']);
  const env = resolveSumdb({}, { GOSUMDB: `${KEY} http://127.0.0.1:9` }, noGo)!;
  assert.equal([env.name, env.url, env.key?.hash], ['sumdb.fx.example', 'http://127.0.0.1:9', 'e539e5ae']);
  assert.equal(resolveSumdb({}, {}, () => 'sum.example'), { name: 'sum.example', url: 'https://sum.example' });
  assert.is(resolveSumdb({}, {}, noGo), null);
  assert.is(resolveSumdb({}, { GOSUMDB: 'off' }, noGo), null);
  assert.is(resolveSumdb({ enabled: false, name: 'a.example' }, {}, noGo), null);
});

test('discover: the http(s) proxies of the GOPROXY list, in order; direct/off/file entries ignored', async () => {
  assert.equal(proxiesOf('https://proxy.example/,http://127.0.0.1:3000/go|direct'), ['https://proxy.example', 'http://127.0.0.1:3000/go']);
  assert.equal(proxiesOf('direct'), []);
  assert.equal(proxiesOf('off'), []);
  assert.equal(proxiesOf('file:///srv/goproxy'), []);
  assert.equal(await discoverGo({ env: { GOPROXY: 'https://proxy.example,direct' }, go: null }), [{ name: 'go', block: { route: { path: '/go' }, proxies: ['https://proxy.example'] } }]);
  assert.equal(await discoverGo({ env: { GOPROXY: 'direct' }, go: null }), []);
});

test('discover: `go env GOPROXY` answers when a go command is there (a fake one here); its built-in default adds nothing; a failing one falls back to the environment', async () => {
  const d = mkdtempSync(join(tmpdir(), 'cp-fakego-'));
  try {
    const fake = join(d, 'go');
    // a go command whose go env file names a proxy; with GOENV=off it reports its built-in default
    writeFileSync(fake, '#!/bin/sh\n[ "$1 $2" = "env GOPROXY" ] || exit 2\nif [ "$GOENV" = off ]; then echo "${GOPROXY:-https://default.example,direct}"; else echo "${GOPROXY:-http://goproxy.example/a/,direct}"; fi\n');
    chmodSync(fake, 0o755);
    assert.equal(await discoverGo({ env: { PATH: process.env.PATH }, go: fake }), [{ name: 'go', block: { route: { path: '/go' }, proxies: ['http://goproxy.example/a'] } }]);
    assert.equal(await discoverGo({ env: { PATH: process.env.PATH, GOPROXY: 'http://127.0.0.1:3000/' }, go: fake }), [{ name: 'go', block: { route: { path: '/go' }, proxies: ['http://127.0.0.1:3000'] } }]);
    writeFileSync(fake, '#!/bin/sh\necho "https://default.example,direct"\n');
    assert.equal(await discoverGo({ env: { PATH: process.env.PATH }, go: fake }), [], 'the toolchain default is no configuration');
    writeFileSync(fake, '#!/bin/sh\nexit 1\n');
    assert.equal(await discoverGo({ env: { PATH: process.env.PATH, GOPROXY: 'https://env.example' }, go: fake }), [{ name: 'go', block: { route: { path: '/go' }, proxies: ['https://env.example'] } }]);
  } finally { rmSync(d, { recursive: true, force: true }); }
});

test.run();
