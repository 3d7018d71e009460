import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { stubHookContext } from '../../engine/mode-testing.js';
import type { Match, UpstreamReply } from '../../engine/mode.js';
import { settings } from './settings.js';
import { verifyBySidecar } from './verify.js';
import { checkXml, refuseHtml, xmlRoot } from './xml.js';

const match = (path: string) => ({ path, params: {}, segments: path.split('/'), trailingSlash: false, method: 'GET', headers: {}, query: new URLSearchParams(), config: {} }) as Match;
const sha1 = 'ab'.repeat(20), sha512 = 'cd'.repeat(64);
const JAR = 'com/example/lib/2.0/lib-2.0.jar';
const SNAP = 'com/example/demo/1.1-SNAPSHOT/demo-1.1-SNAPSHOT.jar';

/** a context whose instance serves the given sidecars (others 404), recording what was fetched and deleted */
function instance(files: Record<string, string>, block: Record<string, unknown> = {}, upstream: Record<string, string> = {}) {
  const fetched: string[] = [], deleted: string[] = [];
  const ctx = stubHookContext({
    settings: settings.parse({ upstream: 'https://repo.example/maven2', ...block }),
    fetchThrough: async (p: string) => { fetched.push(p); return p in files ? { status: 200, body: Buffer.from(files[p]!) } : { status: 404, body: Buffer.alloc(0) }; },
    cache: { list: async function* () { /* none */ }, delete: async (kind: string, key: string) => { deleted.push(`${kind}/${key}`); } },
    fetch: async ({ path }: { path: string }) => ({ status: path in upstream ? 200 : 404, headers: {}, body: Readable.from([Buffer.from(upstream[path] ?? '')]), base: '', url: '', release: () => undefined }) as UpstreamReply,
  });
  return { ctx, fetched, deleted };
}

test('the first configured sidecar states the digest; a 404 or an unusable one moves to the next', async () => {
  const a = instance({ [`${JAR}.sha1`]: `${sha1.toUpperCase()}  lib-2.0.jar\n` });
  const r = await verifyBySidecar({ match: match(JAR), ctx: a.ctx, rule: {} });
  assert.is(r?.sha1, sha1);
  assert.is(r?.source, `${JAR}.sha1`);
  assert.equal(a.fetched, [`${JAR}.sha1`]);
  assert.is(r!.describe!('sha1', sha1, 'ff'.repeat(20)), `checksum mismatch for ${JAR}: ${JAR}.sha1 says ${sha1}, upstream sent ${'ff'.repeat(20)}; nothing was cached`);

  const b = instance({ [`${JAR}.sha256`]: '<html>oops</html>', [`${JAR}.sha1`]: sha1 }, { checksum_algorithms: ['sha512', 'sha256', 'sha1'] });
  assert.is((await verifyBySidecar({ match: match(JAR), ctx: b.ctx, rule: {} }))?.sha1, sha1);
  assert.equal(b.fetched, [`${JAR}.sha512`, `${JAR}.sha256`, `${JAR}.sha1`]);

  const c = instance({ [`${JAR}.sha512`]: sha512 }, { checksum_algorithms: ['sha512', 'sha1'] });
  assert.is((await verifyBySidecar({ match: match(JAR), ctx: c.ctx, rule: {} }))?.sha512, sha512);
});

test('no usable sidecar: stored unverified, or served unstored with checksum_required; sidecars are not verified', async () => {
  assert.equal(await verifyBySidecar({ match: match(JAR), ctx: instance({}).ctx, rule: {} }), { skip: true, keep: true });
  assert.equal(await verifyBySidecar({ match: match(JAR), ctx: instance({}, { checksum_required: true }).ctx, rule: {} }), { skip: true });
  const s = instance({});
  assert.is(await verifyBySidecar({ match: match(`${SNAP}.sha1`), ctx: s.ctx, rule: {} }), null);
  assert.equal(s.fetched, []);
});

test('a mismatch forgets the stored sidecar; a snapshot asks upstream once more and passes when the new sidecar agrees', async () => {
  const rel = instance({ [`${JAR}.sha1`]: sha1 });
  const r = await verifyBySidecar({ match: match(JAR), ctx: rel.ctx, rule: {} });
  assert.is(await r!.onMismatch!('sha1', 'ee'.repeat(20)), false);
  assert.equal(rel.deleted, [`checksum/${JAR}.sha1`]);

  const snap = instance({ [`${SNAP}.sha1`]: sha1 }, {}, { [`${SNAP}.sha1`]: 'ee'.repeat(20) });
  const s = await verifyBySidecar({ match: match(SNAP), ctx: snap.ctx, rule: {} });
  assert.is(await s!.onMismatch!('sha1', 'ee'.repeat(20)), true, 'replaced upstream together with its sidecar');
  assert.is(await s!.onMismatch!('sha1', '11'.repeat(20)), false);
  assert.equal(snap.deleted, [`snapshot/${SNAP}.sha1`, `snapshot/${SNAP}.sha1`]);
});

const checked = (path: string, text: string, block: Record<string, unknown> = {}) =>
  checkXml({ open: () => Readable.from([Buffer.from(text)]), size: text.length, headers: {}, match: match(path), ctx: instance({}, block).ctx });

test('POMs and maven-metadata.xml must be XML with their root; an HTML page is not', async () => {
  const pom = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c -->\n<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion></project>\n';
  assert.is(await checked('a/1/a-1.pom', pom), null);
  assert.is(await checked('a/maven-metadata.xml', '<metadata><groupId>a</groupId></metadata>'), null);
  assert.is(await checked('a/1/a-1.pom', '<!DOCTYPE html>\n<html><body>Error<br></body></html>'), 'upstream returned something that is not XML for a/1/a-1.pom');
  assert.match((await checked('a/1/a-1.pom', '<metadata/>'))!, /root <metadata>, expected <project>/);
  assert.is(await checked('a/1/a-1.jar', 'PK\u0003\u0004'), null, 'not an XML file');
  assert.is(await checked('a/1/a-1.pom', 'not xml', { validate_xml: false }), null);
  assert.is(xmlRoot('<a><b></a>'), null);
});

test('an HTML page where XML belongs is refused by its head, before its body is read', () => {
  const html = { headers: { 'content-type': 'text/html; charset=utf-8' } };
  assert.equal(refuseHtml(html, match('a/1/a-1.pom')), { reject: 'upstream returned something that is not XML for a/1/a-1.pom' });
  assert.is(refuseHtml({ headers: { 'content-type': 'text/xml' } }, match('a/1/a-1.pom')), 'store');
  assert.is(refuseHtml(html, match('a/1/a-1.jar')), 'store');
  assert.is(refuseHtml(html, { ...match('a/1/a-1.pom'), config: { validate_xml: false } }), 'store');
});

test.run();
