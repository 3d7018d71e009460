import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDuration, parseFreshness, parseExpiration, parseSize, parseUrl, checkMount } from './values.js';

test('durations', () => {
  assert.is(parseDuration('0'), 0);
  assert.is(parseDuration('300ms'), 300);
  assert.is(parseDuration('1h30m'), 5_400_000);
  assert.is(parseDuration('1.5h'), 5_400_000);
  assert.is(parseDuration('2d'), 172_800_000);
  assert.throws(() => parseDuration('30'), /missing unit/);
  assert.throws(() => parseDuration('-5s'), /negative/);
  assert.throws(() => parseDuration('5 mins'), /duration/);
});
test('freshness and expiration', () => {
  assert.is(parseFreshness('forever'), Infinity);
  assert.is(parseFreshness('always'), Infinity);
  assert.throws(() => parseFreshness('500ms'), /at least 1s/);
  assert.is(parseExpiration('never'), Infinity);
  assert.is(parseExpiration('none'), Infinity);
  assert.is(parseExpiration('720h'), 720 * 3_600_000);
});
test('sizes, urls, mounts', () => {
  assert.is(parseSize('10MiB'), 10 * 1024 * 1024);
  assert.is(parseSize('1GB'), 1e9);
  assert.throws(() => parseSize('ten'));
  assert.is(parseUrl('https://registry.example/npm/'), 'https://registry.example/npm');
  assert.throws(() => parseUrl('registry.example/npm'));
  assert.is(checkMount('/npm'), null);
  assert.ok(checkMount('/-/x'));
  assert.ok(checkMount('/'));
});
test.run();
