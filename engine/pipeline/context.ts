// What the pipeline needs from the rest of the engine: one object per running engine (engine/app.ts makes it).
import type { Store } from '../cache/store.js';
import type { NegativeCache } from '../cache/negative.js';
import type { Instance } from '../instance.js';
import type { EffectiveConfig } from '../config/types.js';
import type { HookContext, Logger, ModeTasks } from '../mode.js';
import type { HotHits } from '../hot-hits.js';
import type { FillCoordinator } from './fill-claim.js';
import type { PipelineState } from './state.js';
import type { EntryIndexHooks, UpstreamLike } from './work.js';

export interface EngineCtx {
  config: EffectiveConfig;
  store: Store;
  upstream: UpstreamLike;
  negative: NegativeCache;
  index: EntryIndexHooks;
  log: Logger;
  isNoSpace(err: unknown): boolean;
  storeDegraded(): boolean;
  onNoSpace(err: unknown): void;
  event(e: Record<string, unknown>): void;
  /** test-only fault injection (CACHE_PROXY_FAULT_ENOSPC_AFTER) */
  faultEnospcAfter?: number;
  faultSlowOpenMs?: number;
  /** keys with a fill running, for eviction */
  busyKeys: Set<string>;
  /** run-time task registration for modes (set once the scheduler exists) */
  tasks?: (instance: string) => ModeTasks;
  /** per-process request state: flights, entry caches, memos, auth and hook contexts */
  state: PipelineState;
  /** who fetches a missing key (engine/cluster); undefined: always this process */
  fills?: FillCoordinator;
  /** remembered answers for repeated plain hits */
  hot: HotHits;
  /** a GET of another key of an instance through the whole pipeline (the engine's internal entry), buffered */
  fetchThrough(inst: Instance, path: string, headers?: Record<string, string>): ReturnType<HookContext['fetchThrough']>;
}
