// The dashboard in a real headless Chromium (Debian's, driven by playwright-core): charts drawn from a running
// proxy's traffic, figures equal to its metrics, the events filter, the copy button, the status token asked for
// once, no console errors; and the same page without JavaScript. UPDATE_SCREENSHOT=1 refreshes docs/dashboard.png.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startFixtureServer, startProxy, httpGet, tmpDir, cleanupAll, freePort, repoRoot, type FixtureServer, type ProxyHandle } from './index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let upstream: FixtureServer, proxy: ProxyHandle, browser: BrowserContext | undefined, missing: string | undefined;
const consoleErrors: string[] = [];

const config = (extra: string, deadPort: number) => `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}", status: { disk_sample_interval: 1s${extra} } }
metrics: { path: /metrics }
instances:
  - { name: files, enabled: true, file: { route: { path: /files }, upstreams: [${upstream.url}], default_policy: immutable } }
  - { name: broken, enabled: true, file: { route: { path: /broken }, upstreams: ["http://127.0.0.1:${deadPort}"] } }
`;

test.before(async () => {
  if (!existsSync(CHROMIUM)) {
    missing = `${CHROMIUM} is not installed (Debian package chromium)`;
    if (process.env.CI === 'true') throw new Error(`${missing}: CI installs it`);
    return;
  }
  const tree = tmpDir('dashboard-tree-');
  mkdirSync(join(tree, 'pkg'));
  for (let i = 0; i < 4; i++) writeFileSync(join(tree, 'pkg', `f${i}.bin`), Buffer.alloc(20_000 * (i + 1), i + 1));
  upstream = await startFixtureServer({ root: tree });
  proxy = await startProxy({ config: config('', await freePort()) });
  // traffic: 4 misses, 8 hits; 6 requests to an upstream that refuses connections (its circuit opens)
  for (let round = 0; round < 3; round++) for (let i = 0; i < 4; i++) assert.is((await httpGet(`${proxy.url}/files/pkg/f${i}.bin`)).status, 200);
  for (let i = 0; i < 6; i++) assert.ok((await httpGet(`${proxy.url}/broken/x${i}.bin`)).status >= 500);
  browser = await chromium.launchPersistentContext(tmpDir('chromium-profile-'), { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
  await browser.grantPermissions(['clipboard-read', 'clipboard-write']);
});

async function open(url: string): Promise<Page> {
  const page = await browser!.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${url}: ${m.text()}`); });
  page.on('pageerror', (e) => consoleErrors.push(`${url}: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector('body[data-rendered="client"]', { timeout: 30_000 });
  return page;
}

/** the sum of a counter family's samples for one instance, from the proxy's /metrics */
async function metricSum(family: string, instance: string): Promise<number> {
  const text = (await httpGet(`${proxy.url}/metrics`)).body.toString();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${family}{`) && line.includes(`instance="${instance}"`)) sum += Number(line.split(' ').at(-1));
  return sum;
}

test('charts render with data points from the running proxy; figures equal its metrics; no console errors', async () => {
  if (missing) return console.log(`skipped: ${missing}`);
  const page = await open(`${proxy.url}/`);
  const requests = await metricSum('cache_proxy_requests_total', 'files');
  assert.is(requests, 12);
  assert.is((await page.textContent('#instance-files [data-fig="requests"]'))?.trim(), '12 requests');
  assert.is((await page.textContent('#instance-files [data-fig="hit-ratio"]'))?.trim(), 'hit ratio 66.7 %');
  assert.is((await page.textContent('#instance-files [data-fig="served"]'))?.trim(), `${(3 * 200_000 / 1024).toFixed(1)} KiB served`);
  for (const id of ['chart-requests', 'chart-hit-ratio', 'chart-bytes', 'chart-upstream', 'chart-cache-size', 'chart-filesystem']) {
    const points = await page.locator(`#${id} circle.point`).count();
    assert.ok(points > 0, `${id}: ${points} points`);
    const d = await page.locator(`#${id} path.series`).first().getAttribute('d');
    assert.match(d ?? '', /^M[\d.]+ [\d.]+/, `${id} draws a line`);
  }
  // the requests chart's legend: the rate over the one interval so far is the 12 requests over its length
  assert.match((await page.textContent('#chart-requests .value[data-series="files"]')) ?? '', /^[\d.,]+\/min$/);
  // the refused upstream shows in the health strips
  assert.ok(await page.locator('#chart-health rect.cell').count() > 0);
  assert.match((await page.textContent('#chart-health')) ?? '', /broken/);
  // the cache-size chart's last value is the stored bytes (the cache holds the four files, at least)
  const cache = (await page.textContent('#chart-cache-size .value')) ?? '';
  assert.match(cache, /KiB|MiB/);
  await page.screenshot({ path: join(tmpDir('dashboard-shot-'), 'dashboard.png'), fullPage: true });
  assert.equal(consoleErrors, []);
  await page.close();
});

test('events table filters in place (and by a plain GET without JavaScript)', async () => {
  if (missing) return console.log(`skipped: ${missing}`);
  const page = await open(`${proxy.url}/`);
  const all = await page.locator('#events tbody tr').count();
  assert.ok(all > 1, `${all} events`);
  await page.selectOption('#event-filter select[name="type"]', 'disk_sample');
  const rows = page.locator('#events tbody tr');
  const n = await rows.count();
  assert.ok(n > 0 && n <= all);
  assert.equal([...new Set(await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-type'))))], ['disk_sample']);
  assert.match(page.url(), /\?type=disk_sample$/);
  await page.selectOption('#event-filter select[name="type"]', '');
  await page.selectOption('#event-filter select[name="instance"]', 'broken');
  const broken = await page.locator('#events tbody tr').evaluateAll((trs) => trs.map((t) => t.getAttribute('data-instance')));
  assert.ok(broken.length > 0 && broken.every((x) => x === 'broken'), JSON.stringify(broken));
  // the filter survives a refresh from the proxy
  await page.evaluate(() => { document.body.dataset.rendered = ''; });
  await page.waitForSelector('body[data-rendered="client"]', { timeout: 30_000 });
  assert.is(await page.inputValue('#event-filter select[name="instance"]'), 'broken');
  // without JavaScript the form is a GET of the page, filtered by the server
  const plain = (await httpGet(`${proxy.url}/?type=disk_sample`)).body.toString();
  const types = [...plain.matchAll(/<tr data-type="([^"]*)"/g)].map((x) => x[1]);
  assert.ok(types.length > 0 && types.every((t) => t === 'disk_sample'), types.join());
  assert.equal(consoleErrors, []);
  await page.close();
});

test('the copy button puts the setup line on the clipboard', async () => {
  if (missing) return console.log(`skipped: ${missing}`);
  const page = await open(`${proxy.url}/`);
  const button = page.locator('#instance-files button.copy');
  assert.ok(await button.isVisible());
  const line = (await page.textContent('#instance-files .setup code')) ?? '';
  assert.is(line, `curl -O ${proxy.url}/files/<path>`);
  await button.click();
  await page.waitForFunction(() => document.querySelector('#instance-files button.copy')?.textContent === 'copied');
  assert.is(await page.evaluate(() => navigator.clipboard.readText()), line);
  assert.equal(consoleErrors, []);
  await page.close();
});

test('without JavaScript: a plain GET lists every instance with its setup line, figures and server-drawn charts', async () => {
  if (missing) return console.log(`skipped: ${missing}`);
  const r = await httpGet(`${proxy.url}/`);
  assert.is(r.status, 200);
  const html = r.body.toString();
  for (const name of ['files', 'broken']) assert.match(html, new RegExp(`<section class="card" id="instance-${name}">`));
  assert.match(html, new RegExp(`curl -O ${proxy.url.replace(/[.]/g, '\\.')}/files/&lt;path&gt;`));
  assert.match(html, /<span data-fig="requests">12 requests<\/span>/);
  assert.match(html, /<path class="series" data-series="files" d="M[\d.]+ [\d.]+/);
  // the script and the JSON behind it
  const app = await httpGet(`${proxy.url}/-/dashboard/app.js`);
  assert.is(app.status, 200);
  assert.match(String(app.headers['content-type']), /^text\/javascript/);
  assert.is((await httpGet(`${proxy.url}/-/dashboard/summary`)).status, 404, 'only the browser modules are public');
  const history = JSON.parse((await httpGet(`${proxy.url}/-/status/history`)).body.toString()) as { samples: { instances: Record<string, { requests: number }> }[] };
  assert.is(history.samples.at(-1)!.instances.files!.requests, 12);
});

test('with a status token: no figures in the page; the token is asked once, kept for the tab, and figures appear', async () => {
  if (missing) return console.log(`skipped: ${missing}`);
  const locked = await startProxy({ config: config(', token: "dash-secret"', await freePort()), statusToken: 'dash-secret' });
  try {
    const plain = (await httpGet(`${locked.url}/`)).body.toString();
    assert.match(plain, /id="instance-files"/);
    assert.not.match(plain, /data-fig=|class="series"/);
    assert.is((await httpGet(`${locked.url}/-/status/dashboard`)).status, 401);
    const page = await browser!.newPage();
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`locked: ${m.text()}`); });
    page.on('pageerror', (e) => consoleErrors.push(`locked: ${e.message}`));
    await page.goto(`${locked.url}/`);
    await page.waitForSelector('#token-form:not([hidden])');
    await page.fill('#token-form input[name="token"]', 'dash-secret');
    await page.click('#token-form button');
    await page.waitForSelector('body[data-rendered="client"]', { timeout: 30_000 });
    assert.is((await page.textContent('#instance-files [data-fig="requests"]'))?.trim(), '0 requests');
    assert.ok(await page.locator('#chart-filesystem circle.point').count() > 0);
    assert.ok(await page.locator('#token-form').isHidden());
    await page.reload();
    await page.waitForSelector('body[data-rendered="client"]', { timeout: 30_000 });
    assert.ok(await page.locator('#token-form').isHidden(), 'the token is not asked again in the same tab');
    assert.equal(consoleErrors, []);
    await page.close();
  } finally {
    await locked.stop();
  }
});

test("disk samples, with the cache's own size, survive a restart (persisted under the backend)", async () => {
  if (missing) return console.log(`skipped: ${missing}`);
  const before = (JSON.parse((await httpGet(`${proxy.url}/-/status/disk`)).body.toString()) as { samples: { at: string; cache_bytes?: number }[] }).samples;
  assert.ok(before.length > 0 && before.at(-1)!.cache_bytes! >= 200_000, JSON.stringify(before.at(-1)));
  await proxy.restart();
  const after = (JSON.parse((await httpGet(`${proxy.url}/-/status/disk`)).body.toString()) as { samples: { at: string }[] }).samples;
  assert.ok(before.every((s) => after.some((x) => x.at === s.at)), 'every sample from before the restart is still there');
});

test('docs/dashboard.png: half a minute of traffic, then the page (UPDATE_SCREENSHOT=1 only)', async () => {
  if (missing || process.env.UPDATE_SCREENSHOT !== '1') return;
  const until = Date.now() + 35_000;
  for (let n = 0; Date.now() < until; n++) {
    await httpGet(`${proxy.url}/files/pkg/f${n % 4}.bin`);
    if (n % 7 === 0) await httpGet(`${proxy.url}/files/pkg/absent${n}.bin`);
    if (n % 20 === 0) await httpGet(`${proxy.url}/broken/x${n}.bin`);
    await new Promise((r) => setTimeout(r, 40 + (n % 5) * 30));
  }
  const page = await open(`${proxy.url}/`);
  const shot = join(tmpDir('dashboard-shot-'), 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  copyFileSync(shot, join(repoRoot, 'docs/dashboard.png'));
  await page.close();
});

test('the screenshot in docs/ is a PNG', () => {
  if (missing) return console.log(`skipped: ${missing}`);
  assert.ok(statSync(join(repoRoot, 'docs/dashboard.png')).size > 10_000);
});

test.after(async () => { await browser?.close(); await proxy?.stop(); await upstream?.close(); await cleanupAll(); });
test.run();
