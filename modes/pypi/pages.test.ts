import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import type { Match } from '../../engine/mode.js';
import { stubHookContext } from '../../engine/mode-testing.js';
import { htmlPageFiles, indexPage, jsonPageFiles, rewriteHtmlPage, rewriteJsonPage } from './pages.js';
import { rewriteLegacyDoc } from './legacy.js';
import { parsePypi } from './settings.js';

const hex = 'ab'.repeat(32), meta = 'cd'.repeat(32);
const U = 'https://index.example';
const page = `${U}/simple/demo/`;
const s = parsePypi({ upstream: U });
const map = { upstream: U, publicBase: 'http://proxy.test/pypi', allowed: (u: URL) => u.origin === 'https://files.example' };
const noSkip = (u: string) => { throw new Error(`skipped ${u}`); };
const match = (project?: string): Match => ({ method: 'GET', path: '', headers: {}, query: new URLSearchParams(), params: project ? { project } : {}, segments: [], trailingSlash: true, config: {} });

const HTML = `<!DOCTYPE html><html><body>
<a href='https://files.example/p/demo-1.0-py3-none-any.whl#sha256=${hex}' data-requires-python="&gt;=3.8" data-core-metadata="sha256=${meta}" data-gpg-sig="true" data-provenance="${U}/integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance">w</a>
<a href=../../packages/demo-1.0.tar.gz#sha256=${hex} data-yanked>s</a>
<a href="https://other.example/x/demo-0.9.tar.gz">o</a>
</body></html>`;

test('HTML page: files with hashes, metadata hash and provenance; links through the proxy, other bytes kept', () => {
  const files = htmlPageFiles(Buffer.from(HTML), page);
  assert.equal(files.map((f) => [f.url.href, f.hashes, f.coreMetadata]), [
    [`https://files.example/p/demo-1.0-py3-none-any.whl#sha256=${hex}`, { sha256: hex }, { sha256: meta }],
    [`${U}/packages/demo-1.0.tar.gz#sha256=${hex}`, { sha256: hex }, {}],
    ['https://other.example/x/demo-0.9.tar.gz', {}, {}],
  ]);
  assert.is(files[0]!.provenance!.href, `${U}/integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance`);
  const skipped: string[] = [];
  const out = rewriteHtmlPage(Buffer.from(HTML), page, map, s, (u) => skipped.push(u)).toString();
  assert.is(out, HTML
    .replace(`'https://files.example/p/`, `'http://proxy.test/pypi/files/files.example/p/`)
    .replace(`"${U}/integrity/`, '"http://proxy.test/pypi/files/index.example/integrity/')
    .replace(`href=../../packages/demo-1.0.tar.gz#sha256=${hex}`, `href="http://proxy.test/pypi/files/index.example/packages/demo-1.0.tar.gz#sha256=${hex}"`), 'an unquoted value that now needs quotes (=) gets them');
  assert.equal(skipped, ['https://other.example/x/demo-0.9.tar.gz']);
  const off = rewriteHtmlPage(Buffer.from(HTML), page, map, parsePypi({ upstream: U, proxy_core_metadata: false, proxy_signatures: false }), () => undefined).toString();
  assert.not.match(off, /data-core-metadata|data-gpg-sig|data-provenance/);
  assert.match(off, `data-requires-python="&gt;=3.8">w</a>`);
  assert.throws(() => htmlPageFiles(Buffer.from('maintenance'), page), /not HTML/);
});

const JSON_PAGE = { meta: { 'api-version': '1.1' }, name: 'demo', files: [{ filename: 'demo-1.0-py3-none-any.whl', url: 'https://files.example/p/demo-1.0-py3-none-any.whl', hashes: { sha256: hex }, size: 12, 'core-metadata': { sha256: meta }, 'dist-info-metadata': { sha256: meta }, 'gpg-sig': false, provenance: null, yanked: false, 'upload-time': 'x', unknown: 1 }] };

test('JSON page: validated (api-version 1.x), files read, url mapped, every other key kept', () => {
  const body = Buffer.from(JSON.stringify(JSON_PAGE));
  assert.equal(jsonPageFiles(body, page).map((f) => [f.url.href, f.size, f.coreMetadata]), [['https://files.example/p/demo-1.0-py3-none-any.whl', 12, { sha256: meta }]]);
  assert.throws(() => jsonPageFiles(Buffer.from('{"meta":{"api-version":"2.0"}}'), page), /api-version/);
  assert.throws(() => jsonPageFiles(Buffer.from('<html>'), page), /not valid JSON/);
  const out = JSON.parse(rewriteJsonPage(body, page, map, s, noSkip).toString());
  assert.equal(out, { ...JSON_PAGE, files: [{ ...JSON_PAGE.files[0], url: 'http://proxy.test/pypi/files/files.example/p/demo-1.0-py3-none-any.whl' }] });
  const off = JSON.parse(rewriteJsonPage(body, page, map, parsePypi({ upstream: U, proxy_core_metadata: false, proxy_signatures: false }), noSkip).toString());
  assert.equal(Object.keys(off.files[0]).sort(), ['filename', 'hashes', 'size', 'unknown', 'upload-time', 'url', 'yanked']);
});

test('index stage: a project page pins its files and learns the other files origins; the root page only validates', async () => {
  const ctx = stubHookContext({ settings: s });
  const out = await indexPage({ body: Readable.from([Buffer.from(HTML)]), headers: { 'content-type': 'text/html' }, match: match('demo'), ctx });
  assert.equal(Object.keys(out.pins![0]!.entries).sort(), [
    'files.example/p/demo-1.0-py3-none-any.whl', 'files.example/p/demo-1.0-py3-none-any.whl.metadata', 'index.example/packages/demo-1.0.tar.gz',
    'other.example/x/demo-0.9.tar.gz', 'prov:index.example/integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance',
  ]);
  assert.equal(out.targets, ['https://files.example/p/demo-1.0-py3-none-any.whl#sha256=' + hex, 'https://other.example/x/demo-0.9.tar.gz']);
  assert.equal(await indexPage({ body: Readable.from([Buffer.from('<a href="/simple/demo/">demo</a>')]), headers: {}, match: match(), ctx }), {});
  try {
    await indexPage({ body: Readable.from([Buffer.from('{"meta":{}}')]), headers: { 'content-type': 'application/vnd.pypi.simple.v1+json' }, match: match('demo'), ctx });
    assert.unreachable('a JSON page without api-version is refused');
  } catch (e) { assert.match((e as Error).message, /api-version/); }
});

test('legacy JSON API: urls and releases mapped, digests kept', () => {
  const doc = { info: { name: 'demo' }, urls: [{ url: 'https://files.example/p/demo-1.0.tar.gz', digests: { sha256: hex } }], releases: { '1.0': [{ url: 'https://files.example/p/demo-1.0.tar.gz', digests: { sha256: hex } }] } };
  const out = JSON.parse(rewriteLegacyDoc(Buffer.from(JSON.stringify(doc)), `${U}/pypi/demo/json`, map, noSkip).toString());
  assert.is(out.urls[0].url, 'http://proxy.test/pypi/files/files.example/p/demo-1.0.tar.gz');
  assert.is(out.releases['1.0'][0].url, out.urls[0].url);
  assert.equal(out.urls[0].digests, { sha256: hex });
  assert.throws(() => rewriteLegacyDoc(Buffer.from('[]'), U, map, noSkip), /info/);
});

test.run();
