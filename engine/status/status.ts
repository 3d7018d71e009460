// Status: recent events, disk samples (persisted), the JSON API (/-/status/*) and the home page.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StateStore } from '../cache/store.js';
import type { EffectiveConfig } from '../config/types.js';
import type { Instance } from '../instance.js';
import { sendError } from '../http/respond.js';
import { version, registry } from '../metrics.js';
import type { BackendUsage } from '../cache/disk-usage.js';
import { MetricHistory } from './dashboard/history.js';
import { dashboardDoc, renderHome, serveAsset } from './dashboard/page.js';

export interface StatusEvent { instance?: string; storage?: string; task_type?: string; target?: string; started_at: string; finished_at?: string; duration_ms?: number; result: string; state_from?: string; reason_code?: string; detail?: string; message?: string }

export class StatusBoard {
  events: StatusEvent[] = [];
  disk: { at: string; total_bytes: number; free_bytes: number; cache_bytes?: number }[] = [];
  /** per-instance counters over the last hour, for the dashboard's charts */
  readonly history = new MetricHistory();
  readonly started = Date.now();
  private dirty = false;
  private timer?: NodeJS.Timeout;
  degradedUntil = 0;
  /** the backend's disk usage per instance (engine/cache/disk-usage.ts) */
  diskUsage?: BackendUsage;
  /** mode details per instance (status hooks) */
  details?: () => Promise<Map<string, Record<string, unknown>>>;

  constructor(private cfg: EffectiveConfig, private state: StateStore, readonly instances: Instance[], readonly usage: () => Promise<{ blobBytes: number; tmpBytes: number; freeBytes: number; totalBytes?: number }>, readonly entries: () => number) {}

  get config(): EffectiveConfig { return this.cfg; }

  async load(): Promise<void> {
    const doc = (await this.state.read('status').catch(() => null)) as { events?: StatusEvent[]; disk?: StatusBoard['disk'] } | null;
    const windowStart = Date.now() - this.cfg.server.status.disk_history_window;
    this.events = (doc?.events ?? []).slice(0, this.cfg.server.status.event_limit);
    this.disk = (doc?.disk ?? []).filter((s) => Date.parse(s.at) >= windowStart);
    this.timer = setInterval(() => { if (this.dirty) void this.persist(); }, 5000);
    this.timer.unref();
    this.history.start();
  }

  event(e: Omit<StatusEvent, 'started_at'> & { started_at?: string }): void {
    this.events.unshift({ started_at: new Date().toISOString(), ...e });
    if (this.events.length > this.cfg.server.status.event_limit) this.events.length = this.cfg.server.status.event_limit;
    this.dirty = true;
  }

  async sampleDisk(): Promise<void> {
    const u = await this.usage();
    const du = await this.diskUsage?.get().catch(() => undefined);
    this.disk.push({ at: new Date().toISOString(), total_bytes: u.totalBytes ?? u.blobBytes + u.tmpBytes + u.freeBytes, free_bytes: u.freeBytes, cache_bytes: du?.total_bytes ?? u.blobBytes + u.tmpBytes });
    const max = Math.max(1, Math.floor(this.cfg.server.status.disk_history_window / this.cfg.server.status.disk_sample_interval));
    if (this.disk.length > max) this.disk.splice(0, this.disk.length - max);
    this.dirty = true;
  }

  async persist(): Promise<void> {
    this.dirty = false;
    await this.state.write('status', { events: this.events, disk: this.disk }).catch(() => { this.dirty = true; });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.history.stop();
    await this.persist();
  }

  async handle(req: IncomingMessage, res: ServerResponse, sub: string): Promise<void> {
    const send = (doc: unknown) => {
      const body = JSON.stringify(doc);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const url = new URL(req.url ?? '/', 'http://x');
    switch (sub) {
      case 'summary': {
        const u = await this.usage();
        const du = await this.diskUsage?.get();
        const degraded = Date.now() < this.degradedUntil;
        const details = (await this.details?.().catch(() => undefined)) ?? new Map<string, Record<string, unknown>>();
        return send({
          healthy: !degraded, state: degraded ? 'degraded' : 'ok', version, uptime_s: Math.floor((Date.now() - this.started) / 1000),
          degraded_objects: 0, last_sample_at: this.disk.at(-1)?.at ?? null,
          storage: { used_bytes: du?.total_bytes ?? u.blobBytes + u.tmpBytes, instance_bytes: Object.fromEntries(this.cfg.instances.map((i) => [i.name, du?.instances[i.name]?.bytes ?? 0])), shared_bytes: du ? du.total_bytes - this.cfg.instances.reduce((n, i) => n + (du.instances[i.name]?.bytes ?? 0), 0) : null, limit_bytes: Number.isFinite(this.cfg.storage.max_size) ? this.cfg.storage.max_size : null, free_bytes: u.freeBytes, entries: this.entries(), degraded },
          disk_sample_interval_seconds: this.cfg.server.status.disk_sample_interval / 1000,
          disk_history_window_seconds: this.cfg.server.status.disk_history_window / 1000,
          event_limit: this.cfg.server.status.event_limit,
          instances: this.cfg.instances.map((i) => ({ name: i.name, mode: i.mode, enabled: i.enabled, state: i.enabled ? 'ok' : 'disabled', ...(details.has(i.name) ? { details: details.get(i.name) } : {}) })),
        });
      }
      case 'usage': {
        // ?fresh=1 walks now; ?kinds=1 also reads every entry record for its kind (operator tools: `cache-proxy du`)
        if (!this.diskUsage) return sendError(res, 404, 'no disk usage here', { head: req.method === 'HEAD' });
        return send(await this.diskUsage.get({ fresh: url.searchParams.get('fresh') === '1', kinds: url.searchParams.get('kinds') === '1' }));
      }
      case 'disk':
        return send({ samples: this.disk });
      case 'history':
        return send(await this.history.doc());
      case 'dashboard':
        return send(await dashboardDoc(this));
      case 'events': {
        const l = url.searchParams.get('limit') ?? '';
        const n = /^\d+$/.test(l) && Number(l) >= 1 && Number(l) <= this.cfg.server.status.event_limit ? Number(l) : this.cfg.server.status.event_limit;
        return send({ events: this.events.slice(0, n) });
      }
      case 'network': {
        const metrics = await registry.getMetricsAsJSON();
        const pick = (name: string) => metrics.find((x) => x.name === name)?.values ?? [];
        return send({ requests: pick('cache_proxy_requests_total'), upstream_requests: pick('cache_proxy_upstream_requests_total'), upstream_errors: pick('cache_proxy_upstream_errors_total'), health: pick('cache_proxy_upstream_health'), bytes: pick('cache_proxy_response_bytes_total') });
      }
      default:
        if (sub.startsWith('dashboard/') && await serveAsset(req, res, sub.slice('dashboard/'.length))) return;
        return sendError(res, 404, `no status document "${sub}"`, { head: req.method === 'HEAD' });
    }
  }

  /** the home page: the dashboard, server-rendered (engine/status/dashboard/page.ts) */
  homePage(req: IncomingMessage, res: ServerResponse, base: string, only?: Instance, details?: Map<string, Record<string, unknown>>): Promise<void> {
    return renderHome(this, req, res, base, only, details);
  }

  /** bytes stored for an instance (entry index), set by the engine */
  instanceBytes?: (instance: string) => number;
}
