import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import { transportOf } from '../app.js';
import { createUpstreamClient } from './client.js';

/** an origin answering every request with one status and body, counting requests */
async function origin(status: number, body: string) {
  let count = 0;
  const s = createServer((_req, res) => { count++; res.writeHead(status, { 'content-type': 'text/plain' }).end(body); });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, count: () => count, close: () => new Promise((r) => { s.closeAllConnections(); s.close(() => r(undefined)); }) };
}
const download = { max_active: 8, max_active_per_instance: 8, max_active_per_host: 8, request_interval_per_host: 0, queue_wait: 1000, max_queue: 10, detached_fill_budget: 0, max_cooldown: 1000 };
const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
const read = async (b: NodeJS.ReadableStream) => { const parts: Buffer[] = []; for await (const c of b as AsyncIterable<Buffer>) parts.push(c); return Buffer.concat(parts).toString(); };

test('failoverOnStatus: 410 and 404 move on in the configured order; the last answer, status and body, is returned', async () => {
  const gone = await origin(410, 'gone here');
  const missing = await origin(404, 'not found: example.com/x@v1.0.0');
  const has = await origin(200, 'v1.0.0\n');
  const client = createUpstreamClient({ download, transportFor: () => transportOf({}), log: quiet as never });
  try {
    const req = (bases: string[], statuses?: (404 | 410)[]) => client.request({ instance: 'i', candidates: bases.map((b) => `${b}/m/@v/list`), method: 'GET', foreground: true, allowed: () => true, failoverOnStatus: statuses });
    const ok = await req([gone.url, missing.url, has.url], [404, 410]);
    assert.is(ok.status, 200);
    assert.is(await read(ok.body), 'v1.0.0\n');
    assert.equal([gone.count(), missing.count(), has.count()], [1, 1, 1]);
    const last = await req([gone.url, missing.url], [404, 410]);
    assert.is(last.status, 404);
    assert.is(await read(last.body), 'not found: example.com/x@v1.0.0');
    const without = await req([gone.url, has.url]);
    assert.is(without.status, 410, 'without the option a 410 is the answer');
    await read(without.body);
    assert.equal([gone.count(), missing.count(), has.count()], [3, 2, 1]);
  } finally { await client.close(); await gone.close(); await missing.close(); await has.close(); }
});

test('candidates on one origin (two proxies under one host) are each tried, in order', async () => {
  let seen: string[] = [];
  const s = createServer((req, res) => { seen.push(req.url!); if (req.url!.startsWith('/a/')) res.writeHead(404).end('no'); else res.writeHead(200).end('yes'); });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(s.address() as { port: number }).port}`;
  const client = createUpstreamClient({ download, transportFor: () => transportOf({}), log: quiet as never });
  try {
    const r = await client.request({ instance: 'i', candidates: [`${base}/a/m/@v/list`, `${base}/b/m/@v/list`], method: 'GET', foreground: true, allowed: () => true, failoverOnStatus: [404, 410] });
    assert.is(r.status, 200);
    assert.is(await read(r.body), 'yes');
    assert.equal(seen, ['/a/m/@v/list', '/b/m/@v/list']);
    seen = [];
    const first = await client.request({ instance: 'i', candidates: [`${base}/b/x`, `${base}/a/x`], method: 'GET', foreground: true, allowed: () => true });
    await read(first.body);
    assert.equal(seen, ['/b/x'], 'the first answer that is not moved on from is the answer');
  } finally { await client.close(); await new Promise((r) => { s.closeAllConnections(); s.close(r); }); }
});

test.run();
