// Per-request metric series (cache_proxy_requests_*), bound to their label set once: prom-client hashes the labels
// on every call otherwise, which is a visible share of a small cache hit.
import { m } from './metrics.js';

export interface RequestSeries { requests: { inc(): void }; duration: { observe(v: number): void }; firstByte: { observe(v: number): void }; bytes: { inc(v: number): void } }

export interface RequestLabels { instance: string; mode: string; kind: string; cache: string; method: string; status: number }

const seriesCache = new Map<string, RequestSeries>();

export function seriesOf(l: RequestLabels): RequestSeries {
  const k = `${l.instance}\0${l.kind}\0${l.cache}\0${l.method}\0${l.status}`;
  let s = seriesCache.get(k);
  if (!s) {
    const labels = { instance: l.instance, kind: l.kind, cache: l.cache };
    s = {
      requests: m.requests.labels({ instance: l.instance, mode: l.mode, kind: l.kind, method: l.method, cache: l.cache, status: String(l.status) }),
      duration: m.requestDuration.labels(labels), firstByte: m.firstByte.labels(labels), bytes: m.responseBytes.labels(labels),
    };
    if (seriesCache.size > 10_000) seriesCache.clear();
    seriesCache.set(k, s);
  }
  return s;
}

/** one finished request: count, duration, time to first byte, body bytes */
export function recordRequest(l: RequestLabels, startedMs: number, firstByteMs: number | undefined, bytes: number): void {
  const s = seriesOf(l);
  const now = performance.now();
  s.requests.inc();
  s.duration.observe((now - startedMs) / 1000);
  if (firstByteMs !== undefined) s.firstByte.observe((firstByteMs - startedMs) / 1000);
  if (bytes) s.bytes.inc(bytes);
}
