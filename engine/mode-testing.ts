// For a mode's unit tests: a HookContext whose every capability is present and inert (nothing stored,
// nothing fetched), with the parts a test cares about given as overrides.
import type { HookContext } from './mode.js';

const noop = (): void => undefined;

export function stubHookContext<T extends Partial<HookContext>>(over: T): HookContext & T {
  const base: HookContext = {
    config: {}, settings: {}, instance: 'test', log: { debug: noop, info: noop, warn: noop, error: noop }, signal: new AbortController().signal,
    fetchThrough: async () => null,
    pins: { get: async () => null, merge: async () => undefined },
    targetAllowed: () => false,
    count: noop,
    privateDir: '',
    state: { read: async () => null, write: async () => undefined },
    fetch: async () => { throw new Error('no upstream in this test'); },
    tasks: { add: noop, remove: noop, trigger: noop },
    metrics: { counter: () => ({ inc: noop }), histogram: () => ({ observe: noop }), gauge: () => ({ set: noop }) },
    events: { emit: noop },
    cache: { list: async function* () { /* no entries */ }, delete: async () => undefined },
    cleanup: { dryRun: false, batchSize: 500 },
  };
  return Object.assign(base, over);
}
