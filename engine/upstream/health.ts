// Passive circuit breaker per (instance, upstream): failure rate and latency over a sliding window.
import type { HealthConfig } from '../config/types.js';
import { m } from '../metrics.js';
import { hostOf } from './cooldown.js';

type State = 'closed' | 'degraded' | 'open' | 'half-open';
const TRIAL_TIMEOUT = 30_000;
const GAUGE: Record<State, number> = { closed: 0, degraded: 1, open: 2, 'half-open': 3 };

/** outcomes in the evaluation window, oldest first, trimmed from the front as they age (O(1) per record) */
class Window {
  private at: number[] = [];
  private ok: boolean[] = [];
  private head = 0;
  fails = 0;
  get size(): number { return this.at.length - this.head; }
  push(at: number, ok: boolean): void { this.at.push(at); this.ok.push(ok); if (!ok) this.fails++; }
  trim(before: number): void {
    while (this.head < this.at.length && this.at[this.head]! < before) { if (!this.ok[this.head]) this.fails--; this.head++; }
    if (this.head > 1024 && this.head * 2 > this.at.length) { this.at = this.at.slice(this.head); this.ok = this.ok.slice(this.head); this.head = 0; }
  }
  clear(): void { this.at = []; this.ok = []; this.head = 0; this.fails = 0; }
}

interface Breaker { state: State; samples: Window; consecutive: number; openedAt: number; cooldown: number; trialAt: number; trialSuccesses: number; latency: number }

export class Health {
  private b = new Map<string, Breaker>();
  constructor(private cfg: (instance: string) => HealthConfig, private onTransition?: (instance: string, origin: string, from: State, to: State) => void) {}

  private get(instance: string, origin: string): Breaker {
    const k = `${instance} ${origin}`;
    let b = this.b.get(k);
    if (!b) { b = { state: 'closed', samples: new Window(), consecutive: 0, openedAt: 0, cooldown: 0, trialAt: 0, trialSuccesses: 0, latency: 0 }; this.b.set(k, b); }
    return b;
  }

  private set(instance: string, origin: string, b: Breaker, to: State): void {
    if (b.state === to) return;
    const from = b.state;
    b.state = to;
    m.upstreamHealth.set({ instance, upstream: hostOf(origin) }, GAUGE[to]);
    m.circuitEvents.inc({ instance, upstream: hostOf(origin), event: `${from}->${to}` });
    this.onTransition?.(instance, origin, from, to);
  }

  /** candidates reordered: one half-open trial first (a failure falls over to the rest), closed, degraded; open skipped unless all are open */
  order(instance: string, origins: string[]): string[] {
    const c = this.cfg(instance);
    if (!c.enabled || origins.length < 2) return origins;
    const now = Date.now();
    const closed: string[] = [], degraded: string[] = [], trial: string[] = [], open: string[] = [];
    for (const o of origins) {
      const b = this.get(instance, o);
      const trialOut = now - b.trialAt < TRIAL_TIMEOUT;
      if (b.state === 'open' && now - b.openedAt >= b.cooldown && !trialOut) { this.set(instance, o, b, 'half-open'); }
      if (b.state === 'closed') closed.push(o);
      else if (b.state === 'degraded') degraded.push(o);
      else if (b.state === 'half-open' && !trialOut) { trial.push(o); }
      else open.push(o);
    }
    const firstTrial = trial.slice(0, 1);
    for (const t of firstTrial) this.get(instance, t).trialAt = now;
    const out = [...firstTrial, ...closed, ...degraded];
    return out.length ? out : open;
  }

  record(instance: string, origin: string, ok: boolean, latencyMs = 0): void {
    const c = this.cfg(instance);
    const b = this.get(instance, origin);
    const now = Date.now();
    b.samples.push(now, ok);
    b.samples.trim(now - c.evaluation_window);
    b.latency = b.latency === 0 ? latencyMs : 0.2 * latencyMs + 0.8 * b.latency;
    if (b.state === 'half-open') {
      b.trialAt = 0;
      if (!ok) { b.cooldown = Math.min(300_000, Math.max(c.canary_cooldown, b.cooldown * 2)); b.openedAt = now; this.set(instance, origin, b, 'open'); return; }
      b.trialSuccesses++;
      if (b.trialSuccesses >= Math.ceil(0.5 / c.canary_step)) { b.trialSuccesses = 0; b.consecutive = 0; b.samples.clear(); this.set(instance, origin, b, 'closed'); }
      return;
    }
    b.consecutive = ok ? 0 : b.consecutive + 1;
    const n = b.samples.size;
    const rate = n ? b.samples.fails / n : 0;
    if (b.consecutive >= c.consecutive_failures || (n >= 10 && rate >= c.trip_rate)) {
      b.openedAt = now; b.cooldown = c.canary_cooldown; b.trialSuccesses = 0;
      this.set(instance, origin, b, 'open');
    } else if (b.state !== 'open') {
      this.set(instance, origin, b, (n >= 10 && rate >= c.degrade_rate) || b.latency > c.degrade_latency ? 'degraded' : 'closed');
    }
  }

  state(instance: string, origin: string): State { return this.get(instance, origin).state; }
}
