import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { indexConfig, rewriteConfig, upstreamConfig } from './upstream-config.js';
import { bodyOf, cargoContext, matchOf } from './testing.js';

const upstreamDoc = { dl: 'http://dl.example:81/files/{lowerprefix}/{crate}/{crate}-{version}.crate', api: 'http://index.example/', 'auth-required': true, 'x-unknown': [1] };

test('index: dl and api pinned, their origins learned; a config without a string dl is refused', async () => {
  const { ctx } = cargoContext();
  const r = await indexConfig({ body: bodyOf(JSON.stringify(upstreamDoc)), headers: {}, match: matchOf('config.json'), ctx });
  assert.equal(r, { pins: [{ group: 'config.json', entries: { upstream: { dl: upstreamDoc.dl, api: 'http://index.example' } } }], targets: ['http://dl.example:81/', 'http://index.example/'] });
  for (const bad of ['<html>', '[]', '{"dl": 1}', '{"api": "x"}']) {
    try { await indexConfig({ body: bodyOf(bad), headers: {}, match: matchOf('config.json'), ctx }); assert.unreachable(bad); } catch (e) { assert.match((e as Error).message, /nothing was cached/); }
  }
});

test('index: with download_template the upstream dl origin is not learned', async () => {
  const { ctx } = cargoContext({ download_template: 'http://mirror.example/{crate}' });
  const r = await indexConfig({ body: bodyOf(JSON.stringify({ dl: 'http://dl.example/x' })), headers: {}, match: matchOf('config.json'), ctx });
  assert.equal(r && r.targets, []);
});

test('rewrite: every key kept, dl and api through the proxy, auth-required as configured', async () => {
  const base = 'http://proxy.example/cargo';
  const off = await rewriteConfig({ body: Buffer.from(JSON.stringify(upstreamDoc)), headers: {}, publicBase: base, match: matchOf('config.json'), ctx: cargoContext().ctx });
  assert.equal(JSON.parse(off.body.toString()), { dl: `${base}/api/v1/crates/{crate}/{version}/download`, api: base, 'x-unknown': [1] });
  assert.is(off.headers['content-type'], 'application/json');
  const on = await rewriteConfig({ body: Buffer.from('{"dl":"http://dl.example/{crate}"}'), headers: {}, publicBase: base, match: matchOf('config.json'), ctx: cargoContext({ auth_required: true }).ctx });
  assert.equal(JSON.parse(on.body.toString()), { dl: `${base}/api/v1/crates/{crate}/{version}/download`, 'auth-required': true }, 'no api upstream: none served');
});

test('the stored config is read from its pin; fetched through the pipeline only when absent', async () => {
  const { ctx, fetched, groups } = cargoContext();
  assert.is(await upstreamConfig(ctx), undefined);
  assert.equal(fetched, ['config.json']);
  groups.set('config.json', { upstream: { dl: 'http://d/{crate}', api: '' } });
  assert.equal(await upstreamConfig(ctx), { dl: 'http://d/{crate}', api: '' });
  assert.is(fetched.length, 1);
});

test.run();
