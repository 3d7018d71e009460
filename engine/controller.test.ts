import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Controllers, controllerOf, type ControlledInstance } from './controller.js';
import { MemoryBlobHolds } from './cache/holds.js';
import type { BlobStore } from './cache/store.js';
import type { ControllerContext, HookContext, InstanceController, ModeDefinition } from './mode.js';

const noop = () => undefined;
const log = { debug: noop, info: noop, warn: noop, error: noop };

class Counter implements InstanceController {
  calls: string[] = [];
  hits = 0;
  tasks = [{ type: 'tick', intervalMs: 1000, run: async () => 'success' as const }];
  constructor(readonly ctx: ControllerContext) {}
  async setup() { this.calls.push('setup'); if (this.ctx.instance === 'broken') throw new Error('no'); }
  async stop() { this.calls.push('stop'); }
  async status() { return { hits: this.hits }; }
}

const def = { name: 'counter', instance: (ctx: ControllerContext) => new Counter(ctx) } as unknown as ModeDefinition;
const plain = { name: 'plain' } as unknown as ModeDefinition;
const inst = (name: string, d = def): ControlledInstance => ({ name, def: d, block: Object.freeze({}) });
// one hook context per instance, as the engine's: the same config object every time
const hookCtx = (i: ControlledInstance) => ({ config: i.block, instance: i.name } as unknown as HookContext);
const blobs = { stat: async () => null, commit: async () => 'stored', localPath: (d: string) => `/blobs/${d}` } as unknown as BlobStore;

function engine() {
  const tasks: string[] = [];
  const holds = new MemoryBlobHolds();
  const c = new Controllers({ blobs, temp: { tempPath: () => '/tmp/x', clear: async () => 0 }, holds, log, hookContext: hookCtx, addTask: (i, t) => tasks.push(`${i.name}:${t.type}`) });
  return { c, tasks, holds };
}

test('one controller per instance of a mode that declares one: tasks scheduled, set up, reachable from hooks, stopped', async () => {
  const { c, tasks } = engine();
  const a = inst('a'), b = inst('b'), p = inst('p', plain);
  await c.start([a, b, p]);
  assert.equal(tasks, ['a:tick', 'b:tick']);
  const ca = controllerOf<Counter>(hookCtx(a));
  assert.is(ca.ctx.instance, 'a');
  assert.is.not(ca, controllerOf<Counter>(hookCtx(b)));
  assert.equal(ca.calls, ['setup']);
  ca.hits = 3;
  assert.equal(await c.status('a')!(), { hits: 3 });
  assert.is(c.status('p'), undefined);
  assert.throws(() => controllerOf(hookCtx(p)), /no controller/);
  await c.stop();
  assert.equal(ca.calls, ['setup', 'stop']);
  assert.throws(() => controllerOf(hookCtx(a)), /no controller/);
});

test('two engines side by side keep their own controllers for instances of the same name', async () => {
  const one = engine(), two = engine();
  const a1 = inst('a'), a2 = inst('a');
  await one.c.start([a1]);
  await two.c.start([a2]);
  assert.is.not(controllerOf(hookCtx(a1)), controllerOf(hookCtx(a2)));
  await one.c.stop(); await two.c.stop();
});

test('a failed setup is logged and the instance keeps its controller', async () => {
  const { c } = engine();
  const broken = inst('broken');
  await c.start([broken]);
  assert.equal(controllerOf<Counter>(hookCtx(broken)).calls, ['setup']);
  await c.stop();
});

test('controller blobs: commits are held for the instance; hold replaces its set', async () => {
  const { c, holds } = engine();
  const a = inst('a');
  await c.start([a]);
  const b = controllerOf<Counter>(hookCtx(a)).ctx.blobs;
  await b.commit('/tmp/x', 'f'.repeat(64));
  assert.ok(holds.has('f'.repeat(64)));
  assert.is(b.path('f'.repeat(64)), `/blobs/${'f'.repeat(64)}`);
  b.hold(['e'.repeat(64)]);
  assert.equal([...holds.all()], ['e'.repeat(64)]);
  await c.stop();
});

test.run();
