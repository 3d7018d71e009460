// Fill leases in Redis, the second guard behind owner routing (nodes can disagree on who is up for a moment):
// `SET lease:<flightKey> <node> NX PX <ttl>` before a fill, renewed while it runs, deleted at its end with a
// "filled" message. Redis is optional at every step: a command that fails or takes longer than the timeout
// makes Redis skipped for a few seconds, and the caller goes on as if no lease existed. Never a stall.
import { Redis } from 'ioredis';
import type { Logger } from '../mode.js';
import { shortError } from './peers.js';

const FILLED = 'cache-proxy:filled';
/** how long Redis is left alone after a failed or slow command */
const BACKOFF_MS = 3000;
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export type Take = { type: 'taken'; lease: Lease } | { type: 'held'; holder: string } | { type: 'unavailable' };

export interface LeaseCounts { taken: number; held_elsewhere: number; taken_over: number; released: number; renew_failures: number; waits: number; wait_filled: number; wait_timeouts: number; skipped: number }

export interface Lease { release(stored: boolean): void }

export class Leases {
  private cmd: Redis;
  private sub: Redis;
  private skipUntil = 0;
  private waiters = new Map<string, Set<() => void>>();
  lastError?: string;
  held = 0;
  counts: LeaseCounts = { taken: 0, held_elsewhere: 0, taken_over: 0, released: 0, renew_failures: 0, waits: 0, wait_filled: 0, wait_timeouts: 0, skipped: 0 };

  constructor(url: string, private self: string, private ttlMs: number, timeoutMs: number, private log: Logger) {
    const opts = {
      enableOfflineQueue: false, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0,
      retryStrategy: (n: number) => Math.min(200 * n, 2000), lazyConnect: false,
    };
    this.cmd = new Redis(url, opts);
    this.sub = new Redis(url, { ...opts, commandTimeout: undefined });
    const onError = (e: Error) => { this.lastError = shortError(e); };
    this.cmd.on('error', onError);
    this.sub.on('error', onError);
    this.sub.on('ready', () => { this.sub.subscribe(FILLED).catch(onError); });
    this.sub.on('message', (_ch: string, key: string) => {
      const w = this.waiters.get(key);
      if (w) { this.waiters.delete(key); for (const f of w) f(); }
    });
  }

  /** connected, and not in a back-off after a failure */
  get state(): 'ready' | 'unreachable' | 'backing_off' {
    if (this.cmd.status !== 'ready') return 'unreachable';
    return Date.now() < this.skipUntil ? 'backing_off' : 'ready';
  }

  private failed(e: unknown): void {
    this.lastError = shortError(e);
    this.skipUntil = Date.now() + BACKOFF_MS;
    this.log.warn('redis did not answer; going on without fill leases for a few seconds', { err: this.lastError });
  }

  private usable(): boolean {
    if (this.state === 'ready') return true;
    this.counts.skipped++;
    return false;
  }

  /** one use of the command connection under the same rules (skipped while backing off; a failure starts one): undefined when skipped or failed */
  async run<T>(fn: (redis: Redis) => Promise<T>): Promise<T | undefined> {
    if (!this.usable()) return undefined;
    try {
      return await fn(this.cmd);
    } catch (e) {
      this.failed(e);
      return undefined;
    }
  }

  async take(flightKey: string): Promise<Take> {
    if (!this.usable()) return { type: 'unavailable' };
    try {
      const key = `lease:${flightKey}`;
      if (await this.cmd.set(key, this.self, 'PX', this.ttlMs, 'NX') === 'OK') { this.counts.taken++; return { type: 'taken', lease: this.lease(key) }; }
      const holder = await this.cmd.get(key);
      if (holder === null) return this.take(flightKey); // released in between: try again
      this.counts.held_elsewhere++;
      return { type: 'held', holder };
    } catch (e) {
      this.failed(e);
      return { type: 'unavailable' };
    }
  }

  /** the lease of a holder that is gone, taken over (unconditionally) */
  async takeOver(flightKey: string): Promise<Lease | undefined> {
    if (!this.usable()) return undefined;
    try {
      const key = `lease:${flightKey}`;
      await this.cmd.set(key, this.self, 'PX', this.ttlMs);
      this.counts.taken_over++;
      return this.lease(key);
    } catch (e) {
      this.failed(e);
      return undefined;
    }
  }

  /**
   * Until the holder's "filled" message, the lease's disappearance (checked each second) or `ms`, or until
   * `gaveUp()` says the holder is gone; true: filled or released.
   */
  async waitFilled(flightKey: string, ms: number, gaveUp: () => boolean = () => false): Promise<boolean> {
    this.counts.waits++;
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      let wake!: () => void;
      const message = new Promise<void>((r) => { wake = r; });
      const set = this.waiters.get(flightKey) ?? new Set();
      set.add(wake);
      this.waiters.set(flightKey, set);
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<'tick'>((r) => { timer = setTimeout(() => r('tick'), Math.min(1000, Math.max(1, deadline - Date.now()))); });
      const r = await Promise.race([message.then(() => 'filled' as const), tick]);
      clearTimeout(timer);
      set.delete(wake);
      if (r === 'filled') { this.counts.wait_filled++; return true; }
      if (this.state !== 'ready' || gaveUp()) break;
      const holder = await this.cmd.get(`lease:${flightKey}`).catch((e: unknown) => { this.failed(e); return undefined; });
      if (holder === undefined) break;
      if (holder === null) { this.counts.wait_filled++; return true; }
    }
    this.counts.wait_timeouts++;
    return false;
  }

  private lease(key: string): Lease {
    this.held++;
    const renew = setInterval(() => {
      if (this.state !== 'ready') return;
      this.cmd.eval(RENEW, 1, key, this.self, this.ttlMs).catch((e: unknown) => { this.counts.renew_failures++; this.failed(e); });
    }, Math.max(100, Math.floor(this.ttlMs / 3)));
    renew.unref();
    let open = true;
    return {
      release: (stored) => {
        if (!open) return;
        open = false;
        clearInterval(renew);
        this.held--;
        this.counts.released++;
        if (this.state !== 'ready') return; // it expires on its own
        this.cmd.eval(RELEASE, 1, key, this.self)
          .then(() => (stored ? this.cmd.publish(FILLED, key.slice('lease:'.length)) : 0))
          .catch((e: unknown) => this.failed(e));
      },
    };
  }

  close(): void {
    this.cmd.disconnect();
    this.sub.disconnect();
  }
}
