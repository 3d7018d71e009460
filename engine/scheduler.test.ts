import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Scheduler, type TaskEvent } from './scheduler.js';

function memState() {
  const docs = new Map<string, unknown>();
  return { docs, read: async (n: string) => docs.get(n) ?? null, write: async (n: string, d: unknown) => { docs.set(n, JSON.parse(JSON.stringify(d))); } };
}
const H = 3600_000;

test('a slow task does not delay another due task', async () => {
  const state = memState();
  const events: TaskEvent[] = [];
  const s = new Scheduler({ store: state, maxConcurrent: 4, onEvent: (e) => events.push(e), random: () => 0 });
  let fastAt = 0;
  const t0 = Date.now();
  s.add({ id: 'a:slow', instance: 'a', type: 'slow', intervalMs: H, run: (signal) => new Promise((r) => { const t = setTimeout(r, 120_000); signal.addEventListener('abort', () => { clearTimeout(t); r(undefined); }); }) });
  s.add({ id: 'b:fast', instance: 'b', type: 'fast', intervalMs: H, run: async () => { fastAt = Date.now(); return 'success'; } });
  s.start();
  // the slow task holds its slot for 120 s: the fast one running well before that is the point, not how soon
  const fastDone = () => events.some((e) => e.task_type === 'fast' && e.result === 'success');
  for (const until = Date.now() + 30_000; !fastDone() && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
  assert.ok(fastAt > 0 && fastDone(), `the fast task had not run ${Date.now() - t0} ms after start, behind the slow one`);
  await s.stop();
});

test('timers survive a restart: next run stays ~23 h away after 1 h', async () => {
  const state = memState();
  let now = 1_000_000_000_000;
  const mk = () => new Scheduler({ store: state, maxConcurrent: 4, onEvent: () => undefined, random: () => 0.5, now: () => now });
  const a = mk();
  let runs = 0;
  a.add({ id: '_engine:blob_gc', instance: '_engine', type: 'blob_gc', intervalMs: 24 * H, run: async () => { runs++; return 'success'; } });
  a.trigger('_engine:blob_gc');
  await new Promise((r) => setTimeout(r, 50));
  assert.is(runs, 1);
  await a.stop();
  now += H;
  const b = mk();
  await b.load();
  b.add({ id: '_engine:blob_gc', instance: '_engine', type: 'blob_gc', intervalMs: 24 * H, run: async () => { runs++; return 'success'; } });
  const left = b.nextRun('_engine:blob_gc')! - now;
  assert.ok(left > 22 * H && left < 24 * H, `next run in ${(left / H).toFixed(2)} h`);
});

test('an overdue task runs soon after start', async () => {
  const state = memState();
  state.docs.set('scheduler', { tasks: { 'x:t': { next_run: Date.now() - 10 * H, failures: 0, runs: 3 } } });
  const s = new Scheduler({ store: state, maxConcurrent: 4, onEvent: () => undefined, random: () => 0.01 });
  await s.load();
  let ran = false;
  s.add({ id: 'x:t', instance: 'x', type: 't', intervalMs: H, run: async () => { ran = true; return 'success'; } });
  s.start();
  for (const until = Date.now() + 30_000; !ran && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
  await s.stop();
  assert.ok(ran, 'the overdue task ran');
});
test('tasks added at run time: firstRunAt for new ones, saved timing wins on re-add, remove with forget drops it', async () => {
  const state = memState();
  let now = 2_000_000_000_000;
  const s = new Scheduler({ store: state, maxConcurrent: 4, onEvent: () => undefined, random: () => 0.5, now: () => now });
  const run = async () => 'success' as const;
  s.add({ id: 'm:refresh:r1', instance: 'm', type: 'refresh', intervalMs: H, firstRunAt: now + H, run });
  assert.is(s.nextRun('m:refresh:r1'), now + H);
  s.add({ id: 'm:refresh:r1', instance: 'm', type: 'refresh', intervalMs: H, firstRunAt: now + 5, run });
  assert.is(s.nextRun('m:refresh:r1'), now + H, 'saved timing kept');
  s.remove('m:refresh:r1', { forget: true });
  assert.is(s.nextRun('m:refresh:r1'), undefined);
  now += 1;
  await s.stop();
});

test.run();
