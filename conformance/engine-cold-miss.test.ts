// Cold misses: the client's response streams as the upstream body arrives and ends once the body is
// verified, while the commit (fsync, rename, entry) runs after it; requests and a stop during that commit
// still find the object stored.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, get, type Server } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { startFixtureServer, startFileProxy, httpGet, cleanupAll } from './index.js';

const KiB = 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const file = '      default_policy: immutable\n      busy_policy: join\n';

/** an origin that sends the first half of /slow.bin, then the rest only once `release()` is called */
async function pausingOrigin(body: Buffer): Promise<{ url: string; release(): void; gets(): number; close(): Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  let gets = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/slow.bin') { res.writeHead(404).end(); return; }
    gets++;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    res.write(body.subarray(0, body.length / 2));
    void released.then(() => res.end(body.subarray(body.length / 2)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    release, gets: () => gets,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

test('a cold response sends its first half while the origin still holds back the second', async () => {
  const body = randomBytes(1024 * KiB);
  const origin = await pausingOrigin(body);
  const { proxy, X } = await startFileProxy({ upstreams: [origin.url], file });
  const parts: Buffer[] = [];
  let received = 0, cache = '';
  let progressed!: () => void;
  const halfThere = new Promise<void>((r) => { progressed = r; });
  const done = new Promise<void>((resolve, reject) => {
    get(`${X}/slow.bin`, (res) => {
      cache = String(res.headers['x-cache']);
      res.on('data', (c: Buffer) => { parts.push(c); received += c.length; if (received >= body.length / 2 - 64 * KiB) progressed(); });
      res.on('end', resolve);
      res.on('error', reject);
    }).on('error', reject);
  });
  // everything but the withheld tail of the first half arrives before the origin sends another byte
  const before = await Promise.race([halfThere.then(() => 'first half received'), new Promise((r) => setTimeout(() => r('still waiting'), 10_000))]);
  assert.is(before, 'first half received');
  assert.ok(received < body.length, 'the body cannot be complete before the origin sends the rest');
  origin.release();
  await done;
  assert.is(cache, 'MISS');
  assert.is(sha(Buffer.concat(parts)), sha(body));
  assert.is(origin.gets(), 1);
  await proxy.stop();
  await origin.close();
});

test('right after a cold response: a GET is a HIT, and a stop keeps the object; 1 upstream GET each', async () => {
  const up = await startFixtureServer();
  const { proxy, X } = await startFileProxy({ upstreams: [up.url], file });
  const objects = [4 * KiB, 64 * KiB, 3 * 1024 * KiB].map((size, i) => ({ path: `/o${i}.bin`, data: randomBytes(size) }));
  for (const o of objects) up.set(o.path, { body: o.data });
  for (const o of objects) {
    const cold = await httpGet(`${X}${o.path}`);
    const again = await httpGet(`${X}${o.path}`);
    assert.is(cold.headers['x-cache'], 'MISS');
    assert.is(again.headers['x-cache'], 'HIT', `${o.path}: a GET during the commit waits for it`);
    assert.is(sha(again.body), sha(o.data));
    assert.is(up.count('GET', o.path), 1);
  }
  const late = { path: '/late.bin', data: randomBytes(2 * 1024 * KiB) };
  up.set(late.path, { body: late.data });
  const cold = await httpGet(`${X}${late.path}`);
  assert.is(sha(cold.body), sha(late.data));
  await proxy.restart(); // SIGTERM at once: a commit still running is finished, not lost
  const hit = await httpGet(`${X}${late.path}`);
  assert.is(hit.headers['x-cache'], 'HIT');
  assert.is(sha(hit.body), sha(late.data));
  assert.is(up.count('GET', late.path), 1);
  await proxy.stop();
});

test.after(cleanupAll);
test.run();
