// pypi mode replays, recorded from the pypi fixture index (conformance/harness/pypi-index.ts: pages written by
// make-index.py over distributions built by `python3 -m build`). One origin is replayed, so the scenarios use
// the project whose page links relatively to the index's own /packages/ (Demo.Name_Mixed).
import { startPypiIndex } from '../harness/pypi-index.js';
import { JSON_ACCEPT, HTML_ACCEPT } from '../../modes/pypi/accept.js';
import { record, writeScenarios, expect, sha256 } from './scenario.js';

const ROOT = '/simple/', PAGE = '/simple/demo-name-mixed/', MISSING = '/simple/nosuch/';
const WHEEL = 'Demo.Name_Mixed-2.0-py3-none-any.whl';
const UP_WHEEL = `/packages/${WHEEL}`, UP_META = `${UP_WHEEL}.metadata`;
const FILE = `/files/\${UPSTREAM_HOST}${UP_WHEEL}`, META = `${FILE}.metadata`;
const json = { accept: JSON_ACCEPT }, html = { accept: HTML_ACCEPT };
const PIP = { accept: 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01' };
const FILES = '${PROXY}/pypi/files/${UPSTREAM_HOST}/packages/';

const instance = (extra = '') => `
route: { path: /pypi }
upstream: \${UPSTREAM}
${extra}`;

export async function recordPypi(): Promise<void> {
  const ix = await startPypiIndex();
  const rec = await record('pypi', ix.url, [
    { path: ROOT, headers: html }, { path: PAGE, headers: json }, { path: PAGE, headers: html },
    { path: UP_WHEEL }, { path: UP_META }, { path: MISSING, headers: json },
  ]);
  await ix.stop();
  const root = rec.ex(`GET ${ROOT}`, html), pageJson = rec.ex(`GET ${PAGE}`, json), pageHtml = rec.ex(`GET ${PAGE}`, html);
  const wheel = rec.ex(`GET ${UP_WHEEL}`), meta = rec.ex(`GET ${UP_META}`);
  // what a client gets: the upstream page with its links through the proxy (JSON re-serialised, HTML byte for byte but the hrefs)
  const doc = JSON.parse(rec.bytes(pageJson).toString('utf8')) as { files: { url: string }[] };
  for (const f of doc.files) f.url = f.url.replace('../../packages/', FILES);
  const files: Record<string, string> = {
    'page.json': JSON.stringify(doc),
    'page.html': rec.bytes(pageHtml).toString('utf8').split('href="../../packages/').join(`href="${FILES}`),
    'root.html': rec.bytes(root).toString('utf8').split('href="/simple/').join('href="${PROXY}/pypi/simple/'),
  };
  const c = (counts: Record<string, number>) => ({ upstream_counts: counts });
  const wheelBody = rec.bytes(wheel), metaBody = rec.bytes(meta);
  writeScenarios(rec, [
    {
      name: 'pages',
      instance: instance('index_fresh_for: 1m'),
      exchanges: [root, pageJson, pageHtml],
      files,
      expect: [
        expect(PAGE, { headers_sent: PIP, status: 200, x_cache: 'MISS', body_file: 'page.json', headers: { 'content-type': 'application/vnd.pypi.simple.v1+json', vary: 'Accept' }, ...c({ [`GET ${PAGE}`]: 1 }) }),
        expect(PAGE, { status: 200, x_cache: 'MISS', body_file: 'page.html', headers: { 'content-type': 'text/html; charset=utf-8', vary: 'Accept' }, ...c({ [`GET ${PAGE}`]: 2 }) }),
        // each class is its own representation; the legacy alias is the JSON class
        expect(PAGE, { headers_sent: json, status: 200, x_cache: 'FRESH', body_file: 'page.json', ...c({ [`GET ${PAGE}`]: 2 }) }),
        expect(`${PAGE}json`, { status: 200, x_cache: 'FRESH', body_file: 'page.json', ...c({ [`GET ${PAGE}`]: 2 }) }),
        expect(ROOT, { status: 200, x_cache: 'MISS', body_file: 'root.html', ...c({ [`GET ${ROOT}`]: 1 }) }),
        // a non-normalised name: 301, no upstream request
        expect('/simple/Demo.Name_Mixed/', { status: 301, headers: { location: '../demo-name-mixed/' }, ...c({ [`GET ${PAGE}`]: 2, 'GET /simple/Demo.Name_Mixed/': 0 }) }),
      ],
    },
    {
      name: 'files',
      instance: instance(),
      exchanges: [pageJson, wheel, meta],
      expect: [
        // a cold file: its project's page (json class) first for the hash, then the file, verified: MISS, then HIT
        expect(FILE, { status: 200, x_cache: 'MISS', body_sha256: sha256(wheelBody), ...c({ [`GET ${PAGE}`]: 1, [`GET ${UP_WHEEL}`]: 1 }) }),
        expect(FILE, { status: 200, x_cache: 'HIT', body_sha256: sha256(wheelBody), ...c({ [`GET ${PAGE}`]: 1, [`GET ${UP_WHEEL}`]: 1 }) }),
        expect(META, { status: 200, x_cache: 'MISS', body_sha256: sha256(metaBody), ...c({ [`GET ${UP_META}`]: 1 }) }),
        expect(META, { status: 200, x_cache: 'HIT', body_sha256: sha256(metaBody), ...c({ [`GET ${UP_META}`]: 1 }) }),
      ],
    },
    {
      name: 'file-integrity',
      instance: instance(),
      exchanges: [pageJson, { ...wheel, fault: 'flip_byte', fault_at: 100 }, wheel],
      expect: [
        // the bytes do not match the page's sha256: 502, nothing stored
        expect(FILE, { status: 502, x_cache: 'ERROR', ...c({ [`GET ${PAGE}`]: 1, [`GET ${UP_WHEEL}`]: 1 }) }),
        expect(FILE, { status: 200, x_cache: 'MISS', body_sha256: sha256(wheelBody), ...c({ [`GET ${PAGE}`]: 1, [`GET ${UP_WHEEL}`]: 2 }) }),
        expect(FILE, { status: 200, x_cache: 'HIT', body_sha256: sha256(wheelBody), ...c({ [`GET ${UP_WHEEL}`]: 2 }) }),
      ],
    },
    {
      name: 'not-found',
      instance: instance(),
      exchanges: [rec.ex(`GET ${MISSING}`, json)],
      expect: [
        expect(MISSING, { headers_sent: json, status: 404, x_cache: 'MISS', ...c({ [`GET ${MISSING}`]: 1 }) }),
        expect(MISSING, { headers_sent: json, status: 404, x_cache: 'NEGATIVE', ...c({ [`GET ${MISSING}`]: 1 }) }),
        // files on origins no page named, and paths the mode does not serve: 404 with no upstream request
        expect('/files/169.254.169.254/latest/meta-data', { status: 404, ...c({ 'GET /latest/meta-data': 0 }) }),
        expect('/elsewhere', { status: 404 }),
      ],
    },
  ]);
}
