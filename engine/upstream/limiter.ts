// Upstream slots in three scopes: global, per instance, per origin. FIFO waiters,
// foreground before background, bounded wait, bounded queue; request starts spaced per origin.
import { m } from '../metrics.js';

export class UpstreamBusyError extends Error {
  status = 503;
  retryAfter = 5;
  constructor(message: string) { super(message); }
}

interface Waiter { scopes: string[]; foreground: boolean; grant: () => void; reject: (e: Error) => void; at: number }
export interface Slot { release(): void }
export interface LimiterConfig { max_active: number; max_active_per_instance: number; max_active_per_host: number; request_interval_per_host: number; queue_wait: number; max_queue: number }

export class Limiter {
  private active = new Map<string, number>();
  private waiters: Waiter[] = [];
  private lastStart = new Map<string, number>();

  constructor(private cfg: LimiterConfig) {}

  private limit(scope: string): number {
    const d = (v: number, def: number) => (v > 0 ? v : def);
    if (scope === 'global') return d(this.cfg.max_active, 256);
    if (scope.startsWith('instance:')) return d(this.cfg.max_active_per_instance, 64);
    return d(this.cfg.max_active_per_host, 32);
  }
  private free(scopes: string[]): boolean { return scopes.every((s) => (this.active.get(s) ?? 0) < this.limit(s)); }
  private take(scopes: string[]): void { for (const s of scopes) this.active.set(s, (this.active.get(s) ?? 0) + 1); }

  async acquire(o: { instance: string; origin: string; foreground: boolean; signal?: AbortSignal; maxWait?: number }): Promise<Slot> {
    const scopes = ['global', `instance:${o.instance}`, `host:${o.origin}`];
    if (this.free(scopes) && !this.waiters.some((w) => w.scopes.some((s) => scopes.includes(s)))) this.take(scopes);
    else {
      const queued = this.waiters.filter((w) => w.scopes.includes(`host:${o.origin}`) || w.scopes.includes(`instance:${o.instance}`)).length;
      if (queued >= (this.cfg.max_queue > 0 ? this.cfg.max_queue : 1024)) {
        m.queueRejections.inc({ instance: o.instance, reason: 'queue_full' });
        throw new UpstreamBusyError('upstream queue is full');
      }
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        const w: Waiter = { scopes, foreground: o.foreground, at: t0, grant: () => { clearTimeout(timer); resolve(); }, reject };
        const timer = setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          m.queueRejections.inc({ instance: o.instance, reason: 'timeout' });
          this.gauges();
          reject(new UpstreamBusyError('no upstream slot became free in time'));
        }, o.maxWait ?? this.cfg.queue_wait);
        o.signal?.addEventListener('abort', () => { clearTimeout(timer); this.waiters = this.waiters.filter((x) => x !== w); reject(new Error('aborted')); }, { once: true });
        // foreground waiters go ahead of background ones
        const i = o.foreground ? this.waiters.findIndex((x) => !x.foreground) : -1;
        if (i < 0) this.waiters.push(w); else this.waiters.splice(i, 0, w);
        this.gauges();
      });
      m.queueWait.observe({ scope: 'host' }, (performance.now() - t0) / 1000);
    }
    // pacing: request starts per origin at least request_interval_per_host apart
    const gap = this.cfg.request_interval_per_host;
    if (gap > 0) {
      const now = Date.now();
      const next = Math.max(now, (this.lastStart.get(o.origin) ?? 0) + gap);
      this.lastStart.set(o.origin, next);
      if (next > now) await new Promise((r) => setTimeout(r, next - now));
    }
    let released = false;
    return { release: () => { if (released) return; released = true; for (const s of scopes) this.active.set(s, (this.active.get(s) ?? 1) - 1); this.pump(); } };
  }

  private pump(): void {
    for (let i = 0; i < this.waiters.length;) {
      const w = this.waiters[i]!;
      if (this.free(w.scopes)) { this.waiters.splice(i, 1); this.take(w.scopes); w.grant(); } else i++;
    }
    this.gauges();
  }

  private gauges(): void {
    m.queueWaiting.set({ scope: 'all' }, this.waiters.length);
  }
}
