// 429 and 503+Retry-After cooldowns per origin: while one runs, requests skip that origin; when every
// origin cools down, a request waits up to download.queue_wait, else gets 503 with Retry-After (client.ts).
import { m } from '../metrics.js';

export function parseRetryAfter(v: string | undefined, now = Date.now()): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

export class Cooldowns {
  private until = new Map<string, number>();
  private streak = new Map<string, number>();
  constructor(private maxMs: number) {}

  note(origin: string, status: number, retryAfter: string | undefined): number {
    let ms = parseRetryAfter(retryAfter);
    if (status === 429 && ms === undefined) {
      const n = (this.streak.get(origin) ?? 0) + 1;
      this.streak.set(origin, n);
      ms = Math.min(60_000, 5000 * 2 ** (n - 1));
    }
    if (ms === undefined) return 0;
    ms = Math.min(ms, this.maxMs);
    this.until.set(origin, Date.now() + ms);
    m.upstreamCooldown.set({ upstream: hostOf(origin) }, ms / 1000);
    return ms;
  }
  success(origin: string): void { this.streak.delete(origin); }
  remaining(origin: string): number {
    const u = this.until.get(origin);
    if (!u) return 0;
    const left = u - Date.now();
    if (left <= 0) { this.until.delete(origin); m.upstreamCooldown.set({ upstream: hostOf(origin) }, 0); return 0; }
    return left;
  }
}

export const hostOf = (origin: string): string => { try { return new URL(origin).host; } catch { return 'other'; } };
