import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  parseDuration, parseFreshness, parseExpiration, parseSize, parseUrl, parseProxyUrl, parseHostPort, checkMount, cleanMount,
  parseCidr, legacyFreshness, legacyExpiration, bindsOverlap, ValueError,
} from './values.js';

test('durations: 0, unit runs, fractions, every unit; missing unit, negative and junk rejected', () => {
  assert.is(parseDuration('0'), 0);
  assert.is(parseDuration(0), 0);
  assert.is(parseDuration('300ms'), 300);
  assert.is(parseDuration('45s'), 45_000);
  assert.is(parseDuration('5m'), 300_000);
  assert.is(parseDuration('1h30m'), 5_400_000);
  assert.is(parseDuration('1.5h'), 5_400_000);
  assert.is(parseDuration('2d'), 172_800_000);
  assert.is(parseDuration('1w'), 604_800_000);
  assert.is(parseDuration('1500us'), 1.5);
  assert.is(parseDuration('1500µs'), 1.5);
  assert.is(parseDuration('2000000ns'), 2);
  assert.is(parseDuration('1h1m1s1ms'), 3_661_001);
  assert.throws(() => parseDuration('30'), /missing unit/);
  assert.throws(() => parseDuration(30), /missing unit/);
  assert.throws(() => parseDuration('-5s'), /negative/);
  assert.throws(() => parseDuration('5 mins'), /not a duration/);
  assert.throws(() => parseDuration('5x'), /not a duration/);
  assert.throws(() => parseDuration('h'), /not a duration/);
  assert.throws(() => parseDuration(''), /empty/);
  try { parseDuration('30'); } catch (e) { assert.instance(e, ValueError); assert.is((e as ValueError).reason, 'missing unit (e.g. 30s)'); assert.is((e as ValueError).generic, false); }
});

test('freshness: duration >= 1s or forever; legacy always/infinite/0 = forever with a notice', () => {
  assert.is(parseFreshness('forever'), Infinity);
  for (const v of ['always', 'infinite', '0', 0]) { assert.is(parseFreshness(v), Infinity); assert.ok(legacyFreshness(v)); }
  assert.is(legacyFreshness('forever'), null);
  assert.is(legacyFreshness('5m'), null);
  assert.is(parseFreshness('1s'), 1000);
  assert.is(parseFreshness('10m'), 600_000);
  assert.throws(() => parseFreshness('500ms'), /at least 1s/);
  assert.throws(() => parseFreshness('never'), /not a duration/);
});

test('expiration: duration or never; legacy none/infinite/0 = never with a notice', () => {
  assert.is(parseExpiration('never'), Infinity);
  for (const v of ['none', 'infinite', '0', 0]) { assert.is(parseExpiration(v), Infinity); assert.ok(legacyExpiration(v)); }
  assert.is(legacyExpiration('never'), null);
  assert.is(parseExpiration('720h'), 720 * 3_600_000);
  assert.is(parseExpiration('1ms'), 1);
  assert.throws(() => parseExpiration('forever'), /not a duration/);
  assert.throws(() => parseExpiration('-1h'), /negative/);
});

test('sizes: bytes, decimal and binary units', () => {
  assert.is(parseSize(0), 0);
  assert.is(parseSize(1048576), 1048576);
  assert.is(parseSize('123'), 123);
  assert.is(parseSize('10KB'), 10_000);
  assert.is(parseSize('1.5MB'), 1_500_000);
  assert.is(parseSize('1GB'), 1e9);
  assert.is(parseSize('2TB'), 2e12);
  assert.is(parseSize('8KiB'), 8192);
  assert.is(parseSize('10MiB'), 10 * 1024 ** 2);
  assert.is(parseSize('1GiB'), 1024 ** 3);
  assert.is(parseSize('1TiB'), 1024 ** 4);
  assert.is(parseSize('512 MiB'), 512 * 1024 ** 2);
  assert.throws(() => parseSize('ten'), /not a size/);
  assert.throws(() => parseSize('10kb'), /not a size/);
  assert.throws(() => parseSize('-1KB'), /negative/);
  assert.throws(() => parseSize(-1), /non-negative/);
  assert.throws(() => parseSize(1.5), /whole/);
});

test('urls: absolute http(s) with host, no fragment, trailing / trimmed; scheme-less rejected', () => {
  assert.is(parseUrl('https://registry.example/npm/'), 'https://registry.example/npm');
  assert.is(parseUrl('http://files.example'), 'http://files.example');
  assert.is(parseUrl('http://files.example///'), 'http://files.example');
  assert.is(parseUrl('https://user:pw@files.example:8443/a?x=1'), 'https://user:pw@files.example:8443/a?x=1');
  assert.is(parseUrl('http://[::1]:8080/'), 'http://[::1]:8080');
  assert.throws(() => parseUrl('registry.example/npm'), /missing scheme/);
  assert.throws(() => parseUrl('localhost:8080'), /missing scheme/);
  assert.throws(() => parseUrl('ftp://files.example'), /http or https/);
  assert.throws(() => parseUrl('https://files.example/#top'), /fragment/);
  assert.throws(() => parseUrl('https://files.example/a b'), /whitespace/);
  assert.throws(() => parseUrl('http://'), /not a valid URL/);
  assert.is(parseProxyUrl('socks5://127.0.0.1:1080'), 'socks5://127.0.0.1:1080');
  assert.is(parseProxyUrl('http://u:p@127.0.0.1:3128/'), 'http://u:p@127.0.0.1:3128');
  assert.throws(() => parseProxyUrl('ftp://proxy.example'), /socks5/);
});

test('host:port: empty host, localhost or an IP literal', () => {
  assert.equal(parseHostPort('127.0.0.1:18080'), { host: '127.0.0.1', port: 18080 });
  assert.equal(parseHostPort(':8080'), { host: '', port: 8080 });
  assert.equal(parseHostPort('localhost:80'), { host: 'localhost', port: 80 });
  assert.equal(parseHostPort('[::1]:80'), { host: '::1', port: 80 });
  assert.equal(parseHostPort('0.0.0.0:5000'), { host: '0.0.0.0', port: 5000 });
  assert.throws(() => parseHostPort('proxy.example:80'), /localhost nor an IP/);
  assert.throws(() => parseHostPort('[nope]:80'), /IP literal/);
  assert.throws(() => parseHostPort('127.0.0.1'), /host:port/);
  assert.throws(() => parseHostPort('::1:80'), /host:port/);
  assert.throws(() => parseHostPort('127.0.0.1:70000'), /out of range/);
  assert.ok(bindsOverlap('127.0.0.1:5000', '127.0.0.1:5000'));
  assert.ok(bindsOverlap(':5000', '127.0.0.1:5000'));
  assert.ok(bindsOverlap('localhost:5000', '127.0.0.1:5000'));
  assert.not.ok(bindsOverlap('127.0.0.1:5000', '127.0.0.2:5000'));
  assert.not.ok(bindsOverlap('127.0.0.1:5000', '127.0.0.1:5001'));
});

test('mounts: /a/b, not /, no //, whitespace or {}, not under /-/', () => {
  assert.is(checkMount('/npm'), null);
  assert.is(checkMount('/a/b'), null);
  assert.is(checkMount('/a/b/'), null);
  assert.is(cleanMount('/a/b/'), '/a/b');
  assert.is(cleanMount('/a'), '/a');
  assert.match(checkMount('/')!, /not be "\/"/);
  assert.match(checkMount('npm')!, /start with/);
  assert.match(checkMount('/a//b')!, /\/\//);
  assert.match(checkMount('/a b')!, /whitespace/);
  assert.match(checkMount('/a/{x}')!, /braces/);
  assert.match(checkMount('/-/x')!, /\/-\//);
  assert.match(checkMount('/-')!, /\/-\//);
  assert.match(checkMount('/a/../b')!, /\.\./);
});

test('trusted proxies: loopback, IPs and CIDRs', () => {
  assert.is(parseCidr('loopback'), 'loopback');
  assert.is(parseCidr('10.0.0.0/8'), '10.0.0.0/8');
  assert.is(parseCidr('fd00::/8'), 'fd00::/8');
  assert.is(parseCidr('192.168.1.1'), '192.168.1.1');
  assert.throws(() => parseCidr('10.0.0.0/33'), /prefix/);
  assert.throws(() => parseCidr('proxy.example'), /CIDR/);
});

test.run();
