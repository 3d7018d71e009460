// The pipeline's per-process state, one per running engine: flights, the entry cache, small blobs held in
// memory, rewrite and derivation memos, upstream auth and per-instance mode state. Nothing of it lives in a
// module, so two engines in one process (tests) never share a request's state.
import type { Entry } from '../cache/store.js';
import type { StatePins } from '../cache/pins.js';
import type { Instance } from '../instance.js';
import type { HookContext } from '../mode.js';
import type { UpstreamAuth } from '../upstream/auth.js';
import type { LearnedTargets } from '../upstream/targets.js';
import type { Flight } from './work.js';

/** a map that forgets its oldest key beyond `max` keys (`set` makes a key the newest) */
export class BoundedMap<K, V> {
  private map = new Map<K, V>();
  constructor(private max: number) {}
  get(k: K): V | undefined { return this.map.get(k); }
  set(k: K, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  delete(k: K): void { this.map.delete(k); }
}

/** small blobs held in memory (a 4 KiB hit then costs no file system call), least recently used first out */
export class SmallBlobs {
  private map = new Map<string, Buffer>();
  private bytes = 0;
  constructor(private maxBytes: number) {}
  get(digest: string): Buffer | undefined {
    const hit = this.map.get(digest);
    if (hit) { this.map.delete(digest); this.map.set(digest, hit); }
    return hit;
  }
  set(digest: string, buf: Buffer): void {
    this.forget(digest);
    this.map.set(digest, buf);
    this.bytes += buf.length;
    while (this.bytes > this.maxBytes) { const [k, v] = this.map.entries().next().value!; this.map.delete(k); this.bytes -= v.length; }
  }
  forget(digest: string): void {
    const b = this.map.get(digest);
    if (b) { this.map.delete(digest); this.bytes -= b.length; }
  }
}

/** per-instance persisted mode state: pins and learned targets */
export interface InstanceState { pins: StatePins; targets: LearnedTargets }

export interface PipelineState {
  /** one upstream exchange per key at a time, by flight key (`<instance>/<keyHash>`) */
  flights: Map<string, Flight>;
  /** stored entries seen since start, by flight key */
  entries: BoundedMap<string, Entry>;
  smallBlobs: SmallBlobs;
  /** rewritten bodies of stored entries, per blob, public base and kind */
  rewrites: BoundedMap<string, { body: Buffer; headers: Record<string, string> }>;
  /** representations derived from immutable blobs, kept for the next request of the same outage */
  derived: BoundedMap<string, Buffer>;
  auth: Map<Instance, UpstreamAuth>;
  instances: Map<Instance, InstanceState>;
  hookContexts: Map<Instance, HookContext>;
}

export function createPipelineState(): PipelineState {
  return {
    flights: new Map(),
    entries: new BoundedMap(100_000),
    smallBlobs: new SmallBlobs(64 * 1024 * 1024),
    rewrites: new BoundedMap(1000),
    derived: new BoundedMap(16),
    auth: new Map(),
    instances: new Map(),
    hookContexts: new Map(),
  };
}
