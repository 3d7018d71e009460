// Status: recent events, disk samples (persisted), the JSON API (/-/status/*) and the home page.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StateStore } from '../cache/store.js';
import type { EffectiveConfig } from '../config/types.js';
import type { Instance } from '../instance.js';
import { sendError } from '../http/respond.js';
import { version, registry } from '../metrics.js';
import type { BackendUsage } from '../cache/disk-usage.js';

export interface StatusEvent { instance?: string; storage?: string; task_type?: string; target?: string; started_at: string; finished_at?: string; duration_ms?: number; result: string; state_from?: string; reason_code?: string; detail?: string; message?: string }

export class StatusBoard {
  events: StatusEvent[] = [];
  disk: { at: string; total_bytes: number; free_bytes: number }[] = [];
  private started = Date.now();
  private dirty = false;
  private timer?: NodeJS.Timeout;
  degradedUntil = 0;
  /** the backend's disk usage per instance (engine/cache/disk-usage.ts) */
  diskUsage?: BackendUsage;
  /** mode details per instance (status hooks) */
  details?: () => Promise<Map<string, Record<string, unknown>>>;

  constructor(private cfg: EffectiveConfig, private state: StateStore, private instances: Instance[], private usage: () => Promise<{ blobBytes: number; tmpBytes: number; freeBytes: number; totalBytes?: number }>, private entries: () => number) {}

  async load(): Promise<void> {
    const doc = (await this.state.read('status').catch(() => null)) as { events?: StatusEvent[]; disk?: StatusBoard['disk'] } | null;
    const windowStart = Date.now() - this.cfg.server.status.disk_history_window;
    this.events = (doc?.events ?? []).slice(0, this.cfg.server.status.event_limit);
    this.disk = (doc?.disk ?? []).filter((s) => Date.parse(s.at) >= windowStart);
    this.timer = setInterval(() => { if (this.dirty) void this.persist(); }, 5000);
    this.timer.unref();
  }

  event(e: Omit<StatusEvent, 'started_at'> & { started_at?: string }): void {
    this.events.unshift({ started_at: new Date().toISOString(), ...e });
    if (this.events.length > this.cfg.server.status.event_limit) this.events.length = this.cfg.server.status.event_limit;
    this.dirty = true;
  }

  async sampleDisk(): Promise<void> {
    const u = await this.usage();
    this.disk.push({ at: new Date().toISOString(), total_bytes: u.totalBytes ?? u.blobBytes + u.tmpBytes + u.freeBytes, free_bytes: u.freeBytes });
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
        return sendError(res, 404, `no status document "${sub}"`, { head: req.method === 'HEAD' });
    }
  }

  /** the home page: one server-rendered page, inline CSS, no external assets */
  async homePage(req: IncomingMessage, res: ServerResponse, base: string, only?: Instance, details?: Map<string, Record<string, unknown>>): Promise<void> {
    const list = only ? [only] : this.instances;
    // with a status token the page shows the cards without counters (they are what the token protects)
    const counters = !this.cfg.server.status.token;
    const stats = counters ? await instanceStats() : new Map<string, InstanceStats>();
    const u = counters ? await this.usage() : undefined;
    const cards = list.map((i) => {
      const url = only ? base : `${base}${String((i.block.route as { path?: string } | undefined)?.path ?? '')}`;
      const snippet = i.def.hooks?.snippet?.(url, i.block) ?? url;
      const st = stats.get(i.name);
      const d = details?.get(i.name);
      const hits = st ? st.hits : 0, total = st ? st.requests : 0;
      const health = st?.health.length ? st.health.map((h) => `<span class="pill ${HEALTH[h.value]?.[1] ?? ''}">${esc(h.upstream)}: ${HEALTH[h.value]?.[0] ?? h.value}</span>`).join(' ') : '';
      const figures = counters
        ? `<div class="figs"><span>${total.toLocaleString('en')} requests</span><span>hit ratio ${total ? `${((100 * hits) / total).toFixed(1)} %` : '—'}</span><span>${bytes(st?.bytesServed ?? 0)} served</span><span>${bytes(this.instanceBytes?.(i.name) ?? 0)} stored</span></div>`
        : '';
      return `<section><h2>${esc(i.name)} <span class="pill ok">${esc(i.def.name)}</span></h2><div><a href="${esc(url)}">${esc(url)}</a></div><div>client setup: <code>${esc(snippet)}</code></div>${figures}${health ? `<div>upstreams: ${health}</div>` : ''}${d ? detailsHtml(d, esc) : ''}</section>`;
    }).join('');
    const warnings: string[] = [];
    if (this.cfg.instances.length === 0) warnings.push('No instances are configured. A minimal configuration:<pre>instances:\n  - name: files\n    enabled: true\n    file: { route: { path: /files }, upstreams: [https://files.example] }</pre>');
    const [bindHost] = this.cfg.server.bind.split(/:(?=\d+$)/);
    if (!isLoopback(bindHost ?? '') && !(this.cfg.server.access?.tokens.length)) warnings.push(`Listening on ${esc(this.cfg.server.bind)}, beyond this machine, without access tokens (server.access.tokens).`);
    if (Date.now() < this.degradedUntil) warnings.push('Storage is degraded (a write failed): misses are streamed without being stored.');
    const storage = u ? `<p>storage: ${bytes(u.blobBytes + u.tmpBytes)} used${Number.isFinite(this.cfg.storage.max_size) ? ` of ${bytes(this.cfg.storage.max_size)}` : ''}, ${bytes(u.freeBytes)} free on disk, ${this.entries().toLocaleString('en')} entries</p>` : '';
    const events = counters && this.events.length
      ? `<details><summary>recent events (${Math.min(10, this.events.length)} of ${this.events.length})</summary><table>${this.events.slice(0, 10).map((e) => `<tr><td>${esc(e.started_at)}</td><td>${esc(e.instance ?? e.storage ?? '')}</td><td>${esc(e.task_type ?? e.reason_code ?? '')}</td><td>${esc(e.result)}</td><td>${esc(e.message ?? e.detail ?? '')}</td></tr>`).join('')}</table></details>`
      : '';
    const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>cache-proxy</title><style>${CSS}</style></head><body><h1>cache-proxy ${esc(version)}</h1>${warnings.map((w) => `<p class="warn">${w}</p>`).join('')}${storage}${cards}${events}<p><a href="/-/status/summary">status</a> · <a href="${esc(this.cfg.metrics.path)}">metrics</a></p></body></html>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** bytes stored for an instance (entry index), set by the engine */
  instanceBytes?: (instance: string) => number;
}

const CSS = 'body{font:14px system-ui;margin:2em;max-width:72em}section{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:.8em 0}h2{font-size:1.1em;margin:.2em 0}code{background:#f3f3f3;padding:0 .3em}.figs span{margin-right:1.5em}.pill{border-radius:1em;padding:0 .6em;font-size:.85em;background:#eee}.ok{background:#dfd}.degraded{background:#ffd}.open{background:#fdd}.warn{background:#fff3cd;padding:.5em}td,th{padding:.2em .6em;text-align:left}';
const HEALTH: Record<number, [string, string]> = { 0: ['closed', 'ok'], 1: ['degraded', 'degraded'], 2: ['open', 'open'], 3: ['half-open', 'degraded'] };
const HIT_VALUES = new Set(['HIT', 'FRESH', 'STALE', 'JOIN', 'NEGATIVE', 'GENERATION']);
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const isLoopback = (h: string) => h === '' ? false : /^(127\.|localhost$|\[?::1\]?$)/.test(h);

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

interface InstanceStats { requests: number; hits: number; bytesServed: number; health: { upstream: string; value: number }[] }

/** per-instance figures from the metrics registry: requests, hits (HIT FRESH STALE JOIN NEGATIVE GENERATION), bytes, health */
async function instanceStats(): Promise<Map<string, InstanceStats>> {
  const out = new Map<string, InstanceStats>();
  const of = (inst: string) => { let s = out.get(inst); if (!s) { s = { requests: 0, hits: 0, bytesServed: 0, health: [] }; out.set(inst, s); } return s; };
  for (const family of await registry.getMetricsAsJSON()) {
    for (const v of family.values as { labels: Record<string, string | number>; value: number }[]) {
      const inst = String(v.labels.instance ?? '');
      if (!inst) continue;
      if (family.name === 'cache_proxy_requests_total') { of(inst).requests += v.value; if (HIT_VALUES.has(String(v.labels.cache))) of(inst).hits += v.value; }
      else if (family.name === 'cache_proxy_response_bytes_total') of(inst).bytesServed += v.value;
      else if (family.name === 'cache_proxy_upstream_health') of(inst).health.push({ upstream: String(v.labels.upstream), value: v.value });
    }
  }
  return out;
}

/** a mode's status card: scalars as `key: value`, lists of records as a small table */
function detailsHtml(d: Record<string, unknown>, esc: (s: string) => string): string {
  const cell = (v: unknown) => esc(typeof v === 'string' ? v : JSON.stringify(v) ?? '');
  return Object.entries(d).map(([k, v]) => {
    if (Array.isArray(v) && v.every((x) => x && typeof x === 'object')) {
      const cols = [...new Set(v.flatMap((x) => Object.keys(x as object)))];
      return `<details open><summary>${esc(k)} (${v.length})</summary><table><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${v.map((x) => `<tr>${cols.map((c) => `<td>${cell((x as Record<string, unknown>)[c])}</td>`).join('')}</tr>`).join('')}</table></details>`;
    }
    return `<div>${esc(k)}: ${cell(v)}</div>`;
  }).join('');
}
