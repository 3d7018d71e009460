// Real pip through the pypi mode against the fixture index (rows Y1–Y12 of the mode's acceptance table).
// One venv with pip is made once; the other "new venvs" are made without pip and installed into by its pip
// (`pip --python`), which is the same installer in a fresh environment without ensurepip's seconds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startPypiIndex, startPypiProxy, metricValue, httpGet, curl, cleanupAll, tmpDir,
  pip, pipAvailable, makeVenv, installed, PYPI_FIXTURES, type PypiIndex, type Venv, type ProxyHandle,
} from './index.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const WHEELS = ['demo_app-1.0-py3-none-any.whl', 'demo_lib-1.0-py3-none-any.whl', 'demo_util-1.0-py3-none-any.whl', 'Demo.Name_Mixed-2.0-py3-none-any.whl'];
const INSTALLED = ['Demo.Name-Mixed==2.0', 'demo-app==1.0', 'demo-lib==1.0', 'demo-util==1.0'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let missing: string | null = null;
let ix: PypiIndex;
let tool: Venv;
let warm: { proxy: ProxyHandle; X: string; I: string };

test.before(async () => {
  missing = await pipAvailable();
  if (missing) { console.log(`pypi-pip: every row cannot run here: ${missing}`); return; }
  ix = await startPypiIndex();
  tool = await makeVenv(true);
  warm = await startPypiProxy({ upstream: ix.url, pypi: '      index_fresh_for: 10m' });
});
test.after(async () => { await cleanupAll(); });

const ok = (r: { code: number; stdout: string; stderr: string }, what: string) => assert.is(r.code, 0, `${what}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
const fileGets = (name: string) => ix.originOf(name).count('GET', ix.filePath(name));

test('Y1 cold install: JSON pages, .metadata used, each wheel fetched from its origin once', async () => {
  if (missing) return;
  const r = await pip(tool, ['install', '-vv', '--index-url', warm.I, 'demo-app']);
  ok(r, 'pip install');
  const log = r.stdout + r.stderr;
  for (const n of ['demo-app', 'demo-lib', 'demo-util', 'demo-name-mixed']) assert.match(log, `Fetched page ${warm.I}/${n}/ as application/vnd.pypi.simple.v1+json`);
  assert.match(log, /Obtaining dependency information for demo-lib==1\.0 from \S+demo_lib-1\.0-py3-none-any\.whl\.metadata/);
  for (const w of WHEELS) assert.is(fileGets(w), 1, w);
  assert.is(ix.f.count('GET', '/packages/demo-lib/demo_lib-1.0-py3-none-any.whl.metadata'), 1);
  assert.equal(await installed(tool, tool), INSTALLED);
});

test('Y2 download: the file on disk hashes to the fixture hash', async () => {
  if (missing) return;
  const d = tmpDir('pip-dl-');
  ok(await pip(tool, ['download', '--no-deps', '-d', d, '--index-url', warm.I, 'demo-lib==1.0']), 'pip download');
  assert.equal(readdirSync(d), ['demo_lib-1.0-py3-none-any.whl']);
  assert.is(sha256(readFileSync(join(d, 'demo_lib-1.0-py3-none-any.whl'))), ix.sha256('demo_lib-1.0-py3-none-any.whl'));
});

test('Y3 warm install into a new venv: no request reaches U or F', async () => {
  if (missing) return;
  const before = ix.total();
  const v = await makeVenv(false);
  ok(await pip(tool, ['install', '--index-url', warm.I, 'demo-app'], v), 'warm install');
  assert.equal(await installed(tool, v), INSTALLED);
  assert.is(ix.total(), before, 'zero upstream requests');
});

test('Y5 --require-hashes with the fixture hashes', async () => {
  if (missing) return;
  const dir = tmpDir('pip-hashes-');
  const reqs = join(dir, 'reqs.txt');
  writeFileSync(reqs, ['demo-app==1.0', 'demo-lib==1.0', 'demo-util==1.0', 'Demo.Name_Mixed==2.0'].map((r, i) => `${r} --hash=sha256:${ix.sha256(WHEELS[i]!)}\n`).join(''));
  const before = ix.total();
  ok(await pip(tool, ['install', '--require-hashes', '-r', reqs, '--index-url', warm.I, '--target', join(dir, 't')]), 'pip install --require-hashes');
  assert.equal(readdirSync(join(dir, 't')).filter((n) => !n.endsWith('.dist-info')).sort(), ['demo_app', 'demo_lib', 'demo_name_mixed', 'demo_util']);
  assert.is(ix.total(), before, 'served from the cache');
});

test('Y8 normalise and Y9 SSRF with curl', async () => {
  if (missing) return;
  const before = ix.total();
  const head = await curl(['-sI', `${warm.I}/Demo.Name_Mixed/`]);
  assert.match(head.stdout, /^HTTP\/1\.1 301/);
  const loc = /^location: (.+?)\r?$/im.exec(head.stdout)![1]!;
  assert.is(new URL(loc, `${warm.I}/Demo.Name_Mixed/`).href, `${warm.I}/demo-name-mixed/`);
  for (const p of ['169.254.169.254/latest/meta-data', '127.0.0.1:22/x']) {
    const r = await curl(['-s', '-o', '/dev/null', '-w', '%{http_code}', `${warm.X}/files/${p}`]);
    assert.is(r.stdout, '404', p);
  }
  assert.is(ix.total(), before, 'no upstream request');
});

test('Y4 HTML path (proxy_json: false): pip gets HTML, keeps hash checking, skips the yanked version', async () => {
  if (missing) return;
  const { proxy, I } = await startPypiProxy({ upstream: ix.url, pypi: '      proxy_json: false' });
  const d = tmpDir('pip-html-');
  const r = await pip(tool, ['download', '-vv', '--no-deps', '-d', d, '--index-url', I, 'demo-util']);
  ok(r, 'pip download');
  assert.match(r.stdout + r.stderr, `Fetched page ${I}/demo-util/ as text/html`);
  assert.equal(readdirSync(d), ['demo_util-1.0-py3-none-any.whl'], '1.1 is yanked');
  assert.is(sha256(readFileSync(join(d, 'demo_util-1.0-py3-none-any.whl'))), ix.sha256('demo_util-1.0-py3-none-any.whl'));
  const page = (await httpGet(`${I}/demo-util/`)).body.toString();
  const hrefs = [...page.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
  assert.is(hrefs.length, 4);
  for (const h of hrefs) assert.match(h, new RegExp(`^${proxy.url}/pypi/files/.+#sha256=[0-9a-f]{64}$`));
  const upstream = readFileSync(join(PYPI_FIXTURES, 'index/simple/demo-util/index.html'), 'utf8');
  for (const attr of upstream.match(/data-(?:requires-python|yanked)="[^"]*"/g)!) assert.ok(page.includes(attr), attr);
  await proxy.stop();
});

test('Y6 outage: with U and F stopped, a new venv installs from STALE pages and HIT files', async () => {
  if (missing) return;
  const { proxy, I } = await startPypiProxy({ upstream: ix.url, pypi: '      index_fresh_for: 1s' });
  ok(await pip(tool, ['install', '--index-url', I, 'demo-app'], await makeVenv(false)), 'warming install');
  await sleep(1500); // the pages are no longer fresh
  await ix.stop();
  try {
    const v = await makeVenv(false);
    ok(await pip(tool, ['install', '--index-url', I, 'demo-app'], v), 'install during the outage');
    assert.equal(await installed(tool, v), INSTALLED);
    assert.ok(await metricValue(proxy.url, 'cache_proxy_requests_total', { instance: 'pypi', kind: 'index', cache: 'STALE' }) >= 4, 'pages STALE');
    assert.ok(await metricValue(proxy.url, 'cache_proxy_requests_total', { instance: 'pypi', kind: 'file', cache: 'HIT' }) >= 4, 'files HIT');
  } finally {
    await ix.start();
  }
  await proxy.stop();
});

test('Y12 ledger miss, then Y7 corrupt file: one cold proxy', async () => {
  if (missing) return;
  const { proxy, X } = await startPypiProxy({ upstream: ix.url });
  // Y12: a file URL straight from a lockfile, nothing stored: the proxy learns the hash from the project's page
  const util = 'demo_util-1.0-py3-none-any.whl';
  const pages = ix.u.count('GET', '/simple/demo-util/');
  const l = tmpDir('pip-ledger-');
  ok(await pip(tool, ['download', '--no-deps', '-d', l, `${X}/files/127.0.0.1:${ix.f.port}${ix.filePath(util)}`]), 'pip download of a file URL');
  assert.is(sha256(readFileSync(join(l, util))), ix.sha256(util));
  assert.is(ix.u.count('GET', '/simple/demo-util/'), pages + 1, 'the page was fetched to learn the hash');
  const again = await httpGet(`${X}/files/127.0.0.1:${ix.f.port}${ix.filePath(util)}`);
  assert.is(again.headers['x-cache'], 'HIT', 'verified and stored');
  // Y7: F flips one byte of a wheel
  const lib = 'demo_lib-1.0-py3-none-any.whl';
  ix.f.fault(ix.filePath(lib), { flip_byte: 100 });
  try {
    const d = tmpDir('pip-corrupt-');
    const r = await pip(tool, ['download', '--no-deps', '-d', d, '--index-url', `${X}/simple`, 'demo-lib==1.0']);
    assert.is.not(r.code, 0, 'pip fails on that file');
    assert.equal(readdirSync(d), []);
    assert.is(await metricValue(proxy.url, 'cache_proxy_verify_failures_total', { instance: 'pypi', kind: 'file' }), 1);
  } finally {
    ix.f.clearFaults();
  }
  const after = await httpGet(`${X}/files/127.0.0.1:${ix.f.port}${ix.filePath(lib)}`);
  assert.is(after.headers['x-cache'], 'MISS', 'nothing was stored for it');
  assert.is(sha256(after.body), ix.sha256(lib));
  await proxy.stop();
});

test.run();
