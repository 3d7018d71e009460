import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChildProcess } from 'node:child_process';
import { startRedis } from '../../conformance/harness/redis.js';
import { freePort } from '../../conformance/harness/launcher.js';
import { Leases } from './leases.js';

const quiet = { error() {}, warn() {}, info() {}, debug() {} } as never;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: ChildProcess | undefined;
let url = '';
const open: Leases[] = [];
const leases = (self: string) => { const l = new Leases(url, self, 2000, 300, quiet); open.push(l); return l; };
async function ready(l: Leases): Promise<void> { for (let i = 0; i < 100 && l.state !== 'ready'; i++) await sleep(50); assert.is(l.state, 'ready'); }

test.before(async () => {
  const r = await startRedis();
  redis = r.proc;
  url = r.url;
});

test.after(() => {
  for (const l of open) l.close();
  redis?.kill('SIGCONT');
  redis?.kill('SIGKILL');
});

test('one holder at a time; the other sees who holds it, waits, and hears "filled" at the release', async () => {
  const a = leases('http://a:1'), b = leases('http://b:1');
  await ready(a); await ready(b);
  await sleep(100); // b's subscription
  const ta = await a.take('files/k1');
  assert.is(ta.type, 'taken');
  const tb = await b.take('files/k1');
  assert.equal(tb, { type: 'held', holder: 'http://a:1' });
  const waited = b.waitFilled('files/k1', 5000);
  await sleep(50);
  const t0 = Date.now();
  if (ta.type === 'taken') ta.lease.release(true);
  assert.is(await waited, true);
  assert.ok(Date.now() - t0 < 900, 'woken by the message, not by the once-a-second check');
  assert.is((await b.take('files/k1')).type, 'taken');
  assert.is(a.counts.taken, 1);
  assert.is(b.counts.wait_filled, 1);
});

test('a lease is renewed while held, and can be taken over from a holder that is gone', async () => {
  const a = leases('http://a:1'), b = leases('http://b:1');
  await ready(a); await ready(b);
  const ta = await a.take('files/k2');
  assert.is(ta.type, 'taken');
  await sleep(2500); // longer than the 2 s ttl: renewals kept it
  assert.equal(await b.take('files/k2'), { type: 'held', holder: 'http://a:1' });
  const over = await b.takeOver('files/k2');
  assert.ok(over);
  assert.equal(await a.take('files/k2'), { type: 'held', holder: 'http://b:1' });
  if (ta.type === 'taken') ta.lease.release(false); // not a's any more: b's lease stays
  assert.equal(await a.take('files/k2'), { type: 'held', holder: 'http://b:1' });
  over!.release(false);
});

test('Redis stopped: a take gives up within the timeout, then Redis is skipped at once; unreachable Redis is never waited for', async () => {
  const a = leases('http://a:1');
  await ready(a);
  redis!.kill('SIGSTOP');
  try {
    let t0 = Date.now();
    assert.is((await a.take('files/k3')).type, 'unavailable');
    assert.ok(Date.now() - t0 < 1500, `first take ${Date.now() - t0} ms`);
    t0 = Date.now();
    assert.is((await a.take('files/k4')).type, 'unavailable');
    assert.ok(Date.now() - t0 < 50, 'skipped without asking');
    assert.is(a.state, 'backing_off');
  } finally {
    redis!.kill('SIGCONT');
  }
  const none = new Leases(`redis://127.0.0.1:${await freePort()}`, 'http://c:1', 2000, 300, quiet);
  open.push(none);
  const t0 = Date.now();
  assert.is((await none.take('files/k5')).type, 'unavailable');
  assert.ok(Date.now() - t0 < 100);
});

test.run();
