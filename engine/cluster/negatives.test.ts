import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChildProcess } from 'node:child_process';
import { startRedis } from '../../conformance/harness/redis.js';
import { freePort } from '../../conformance/harness/launcher.js';
import { Leases } from './leases.js';
import { RedisNegatives } from './negatives.js';

const quiet = { error() {}, warn() {}, info() {}, debug() {} } as never;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: ChildProcess | undefined;
let url = '';
const open: Leases[] = [];
async function node(self: string, at = url): Promise<{ l: Leases; n: RedisNegatives }> {
  const l = new Leases(at, self, 2000, 300, quiet);
  open.push(l);
  for (let i = 0; i < 100 && l.state !== 'ready' && at === url; i++) await sleep(50);
  return { l, n: new RedisNegatives(l) };
}

test.before(async () => { const r = await startRedis(); redis = r.proc; url = r.url; });
test.after(() => { for (const l of open) l.close(); redis?.kill('SIGKILL'); });

test('a gone answer one node puts is read by another, body and status intact, for the rest of its ttl', async () => {
  const a = await node('http://a:1'), b = await node('http://b:1');
  assert.is(await b.n.get('files/k404'), undefined);
  a.n.put('files/k404', { status: 404, contentType: 'text/plain', body: Buffer.from('no such package'), expiresAt: Date.now() + 600 });
  await sleep(50);
  const got = await b.n.get('files/k404');
  assert.is(got?.status, 404);
  assert.is(got?.contentType, 'text/plain');
  assert.is(got?.body.toString(), 'no such package');
  assert.ok(got!.expiresAt > Date.now() && got!.expiresAt <= Date.now() + 600, 'the remaining ttl, as Redis counts it');
  await sleep(700);
  assert.is(await b.n.get('files/k404'), undefined, 'expired with its ttl');
  a.n.put('files/past', { status: 410, body: Buffer.alloc(0), expiresAt: Date.now() - 1 });
  await sleep(50);
  assert.is(await b.n.get('files/past'), undefined, 'an expired record is not written');
});

test('Redis unreachable: nothing is shared, nothing throws, nothing waits', async () => {
  const dead = await node('http://c:1', `redis://127.0.0.1:${await freePort()}`);
  const t0 = Date.now();
  dead.n.put('files/k', { status: 404, body: Buffer.alloc(0), expiresAt: Date.now() + 1000 });
  assert.is(await dead.n.get('files/k'), undefined);
  assert.ok(Date.now() - t0 < 1000);
});

test.run();
