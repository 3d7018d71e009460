// A bounded in-memory ring of per-instance counter samples (requests, hits, bytes served, upstream requests,
// errors and health), read from the metrics registry every interval. Counters are stored cumulative; a reader
// takes differences between neighbouring samples. Not persisted: the counters restart with the process.
import { m } from '../../metrics.js';
import type { HistoryDoc, InstanceCounters } from './view.js';

/** what a request's X-Cache value counts as: answered without an upstream body */
export const HIT_VALUES = new Set(['HIT', 'FRESH', 'STALE', 'JOIN', 'NEGATIVE', 'GENERATION']);

type Values = { values: { labels: Partial<Record<string, string | number>>; value: number }[] };

export interface MetricHistoryOptions { intervalMs?: number; size?: number; now?: () => number }

export class MetricHistory {
  readonly intervalMs: number;
  readonly size: number;
  private ring: HistoryDoc['samples'] = [];
  private timer?: NodeJS.Timeout;
  private now: () => number;

  constructor(o: MetricHistoryOptions = {}) {
    this.intervalMs = o.intervalMs ?? 10_000;
    this.size = o.size ?? 360;
    this.now = o.now ?? Date.now;
  }

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void { if (this.timer) clearInterval(this.timer); }

  async sample(): Promise<void> {
    this.ring.push({ at: this.now(), instances: await readCounters() });
    if (this.ring.length > this.size) this.ring.splice(0, this.ring.length - this.size);
  }

  /** the ring plus a live sample taken now, so a chart has a point for the current, unfinished interval */
  async doc(): Promise<HistoryDoc> {
    return { interval_s: this.intervalMs / 1000, window_s: (this.intervalMs * this.size) / 1000, samples: [...this.ring, { at: this.now(), instances: await readCounters(), live: true }] };
  }
}

/** the cumulative counters of every instance that has any, from the engine's metric families */
export async function readCounters(): Promise<Record<string, InstanceCounters>> {
  const out: Record<string, InstanceCounters> = {};
  const of = (labels: Values['values'][number]['labels']) => {
    const inst = String(labels.instance ?? '');
    if (!inst) return undefined;
    return (out[inst] ??= { requests: 0, hits: 0, bytes_served: 0, upstream_requests: 0, upstream_errors: 0, health: {} });
  };
  const [requests, bytes, upstream, errors, health] = (await Promise.all([m.requests.get(), m.responseBytes.get(), m.upstreamRequests.get(), m.upstreamErrors.get(), m.upstreamHealth.get()])) as Values[];
  for (const v of requests!.values) { const c = of(v.labels); if (c) { c.requests += v.value; if (HIT_VALUES.has(String(v.labels.cache))) c.hits += v.value; } }
  for (const v of bytes!.values) { const c = of(v.labels); if (c) c.bytes_served += v.value; }
  for (const v of upstream!.values) { const c = of(v.labels); if (c) c.upstream_requests += v.value; }
  for (const v of errors!.values) { const c = of(v.labels); if (c) c.upstream_errors += v.value; }
  for (const v of health!.values) { const c = of(v.labels); if (c) c.health[String(v.labels.upstream)] = v.value; }
  return out;
}
