// The home page: server-rendered HTML (complete without JavaScript), enhanced by /-/dashboard/app.js, which
// re-renders the live parts from GET /-/status/dashboard with the same view functions. With a status token the
// server renders no figures; the script asks for the token once and keeps it in sessionStorage.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EffectiveConfig } from '../../config/types.js';
import type { Instance } from '../../instance.js';
import { version } from '../../metrics.js';
import type { MetricHistory } from './history.js';
import { chartsHtml, esc, eventsHtml, instanceLiveHtml, storageHtml, type DashboardDoc, type DiskSample, type EventFilter, type StatusEvent } from './view.js';

type Details = Map<string, Record<string, unknown>>;

/** what the page reads from the status board (engine/status/status.ts StatusBoard) */
export interface DashboardSource {
  readonly config: EffectiveConfig; readonly instances: Instance[]; readonly started: number; readonly history: MetricHistory;
  events: StatusEvent[]; disk: DiskSample[]; degradedUntil: number;
  usage(): Promise<{ blobBytes: number; tmpBytes: number; freeBytes: number }>;
  entries(): number;
  instanceBytes?: (instance: string) => number;
  /** the backend measured as `du -sb` counts it (mode data included); without it, the blob index's figures */
  diskUsage?: { get(): Promise<{ total_bytes: number; instances: Record<string, { bytes: number } | undefined> }> };
  details?: () => Promise<Details>;
}

export async function dashboardDoc(b: DashboardSource, only?: Instance, details?: Details): Promise<DashboardDoc> {
  const u = await b.usage();
  const du = await b.diskUsage?.get().catch(() => undefined);
  const d = details ?? (await b.details?.().catch(() => undefined)) ?? new Map<string, Record<string, unknown>>();
  const st = b.config.server.status;
  return {
    version, uptime_s: Math.floor((Date.now() - b.started) / 1000), degraded: Date.now() < b.degradedUntil,
    storage: { used_bytes: du?.total_bytes ?? u.blobBytes + u.tmpBytes, limit_bytes: Number.isFinite(b.config.storage.max_size) ? b.config.storage.max_size : null, free_bytes: u.freeBytes, entries: b.entries() },
    instances: (only ? [only] : b.instances).map((i) => ({ name: i.name, mode: i.def.name, stored_bytes: du?.instances[i.name]?.bytes ?? b.instanceBytes?.(i.name) ?? 0, ...(d.has(i.name) ? { details: d.get(i.name) } : {}) })),
    history: await b.history.doc(),
    disk: { interval_s: st.disk_sample_interval / 1000, window_s: st.disk_history_window / 1000, samples: b.disk },
    events: only ? b.events.filter((e) => e.instance === only.name) : b.events,
  };
}

export async function renderHome(b: DashboardSource, req: IncomingMessage, res: ServerResponse, base: string, only?: Instance, details?: Details): Promise<void> {
  const cfg = b.config;
  const q = new URL(req.url ?? '/', 'http://x').searchParams;
  const filter: EventFilter = { type: q.get('type') ?? '', instance: q.get('instance') ?? '', result: q.get('result') ?? '' };
  // with a status token the server renders no figures (they are what the token protects)
  const locked = !!cfg.server.status.token;
  const doc = locked ? undefined : await dashboardDoc(b, only, details);
  const cards = (only ? [only] : b.instances).map((i) => {
    const url = only ? base : `${base}${String((i.block.route as { path?: string } | undefined)?.path ?? '')}`;
    const snippet = i.def.hooks?.snippet?.(url, i.block) ?? url;
    return `<section class="card" id="instance-${esc(i.name)}"><h3>${esc(i.name)} <span class="pill ok">${esc(i.def.name)}</span> <a href="${esc(url)}">${esc(url)}</a></h3>`
      + `<div class="setup">client setup: <code>${esc(snippet)}</code> <button type="button" class="copy" data-copy="${esc(snippet)}" hidden>copy</button></div>`
      + `<div class="live" data-instance="${esc(i.name)}">${doc ? instanceLiveHtml(doc, i.name) : ''}</div></section>`;
  }).join('');
  const warnings: string[] = [];
  if (cfg.instances.length === 0) warnings.push('No instances are configured. A minimal configuration:<pre>instances:\n  - name: files\n    enabled: true\n    file: { route: { path: /files }, upstreams: [https://files.example] }</pre>');
  const [bindHost] = cfg.server.bind.split(/:(?=\d+$)/);
  if (!isLoopback(bindHost ?? '') && !(cfg.server.access?.tokens.length)) warnings.push(`Listening on ${esc(cfg.server.bind)}, beyond this machine, without access tokens (server.access.tokens).`);
  if (Date.now() < b.degradedUntil) warnings.push('Storage is degraded (a write failed): misses are streamed without being stored.');
  // the status API (and so the script) is served on the main listener only
  const enhanced = !only;
  const tokenForm = locked && enhanced
    ? `<form id="token-form" hidden><label>status token <input type="password" name="token" autocomplete="off" required></label> <button>show figures</button> <span class="note"></span></form><noscript><p class="note">Figures, charts and events need the status token: read them from <code>/-/status/dashboard</code> with <code>Authorization: Bearer &lt;token&gt;</code>, or enable JavaScript.</p></noscript>`
    : '';
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><link rel="icon" href="data:,"><title>cache-proxy</title><style>${CSS}</style></head>`
    + `<body data-token-required="${locked}"><header><h1>cache-proxy <small>${esc(version)}</small></h1><nav><a href="#charts">charts</a> · <a href="#instances">instances</a> · <a href="#events-section">events</a> · <a href="-/status/summary">status</a> · <a href="${esc(cfg.metrics.path.replace(/^\//, ''))}">metrics</a> <span id="updated"></span></nav></header>`
    + warnings.map((w) => `<p class="warn">${w}</p>`).join('') + tokenForm
    + `<div id="live-storage">${doc ? storageHtml(doc) : ''}</div>`
    + `<section id="charts"><h2>traffic and disk</h2><div id="live-charts">${doc ? chartsHtml(doc) : ''}</div></section>`
    + `<section id="instances"><h2>instances</h2>${cards}</section>`
    + `<section id="events-section"><h2>recent scheduler and upstream events</h2><div id="live-events">${doc ? eventsHtml(doc.events, filter) : ''}</div></section>`
    + (enhanced ? '<script type="module" src="-/dashboard/app.js"></script>' : '')
    + '</body></html>';
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** the browser modules: compiled files beside this one, by public name */
const ASSETS: Record<string, string> = { 'app.js': 'client.js', 'view.js': 'view.js' };
const here = dirname(fileURLToPath(import.meta.url));
const loaded = new Map<string, Promise<Buffer>>();

export async function serveAsset(req: IncomingMessage, res: ServerResponse, name: string): Promise<boolean> {
  const file = ASSETS[name];
  if (!file) return false;
  let p = loaded.get(file);
  if (!p) { p = readFile(join(here, file)).then((t) => Buffer.from(t.toString('utf8').replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n'))); loaded.set(file, p); }
  const text = await p;
  res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'content-length': text.length, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  res.end(req.method === 'HEAD' ? undefined : text);
  return true;
}

const isLoopback = (h: string) => h === '' ? false : /^(127\.|localhost$|\[?::1\]?$)/.test(h);

const CSS = [
  'body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;padding:1em 2em;max-width:80em;color:#1f2937;background:#f9fafb}',
  'header{display:flex;align-items:baseline;justify-content:space-between;flex-wrap:wrap;border-bottom:1px solid #e5e7eb;margin-bottom:.8em}',
  'h1{font-size:1.4em;margin:.3em 0}h1 small{font-weight:normal;color:#6b7280;font-size:.7em}h2{font-size:1.1em;margin:1.2em 0 .4em}h3{font-size:1em;margin:.2em 0}',
  'nav #updated{color:#6b7280;margin-left:1em}a{color:#2563eb}',
  '.card,.chart{background:#fff;border:1px solid #e5e7eb;border-radius:6px;padding:.6em 1em;margin:.6em 0}',
  '.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(22em,1fr));gap:.8em}.chart{margin:0}.chart.wide{grid-column:1/-1}',
  'figcaption{font-weight:600;margin-bottom:.2em}svg{width:100%;height:auto;display:block}',
  '.grid{stroke:#e5e7eb;stroke-width:1}.axis{font-size:9px;fill:#6b7280}.series{stroke-width:1.6;stroke-linejoin:round}.empty{fill:#9ca3af;color:#9ca3af;font-size:11px}',
  '.legend{font-size:.85em;color:#374151}.key{margin-right:1em;white-space:nowrap}.key i{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.3em;vertical-align:-1px}',
  '.strip{display:grid;grid-template-columns:minmax(14em,auto) 1fr;gap:.8em;align-items:center;font-size:.85em;margin:.2em 0}.strip svg{height:12px;background:#f3f4f6}',
  '.cell.ok{fill:#86efac}.cell.degraded{fill:#fde68a}.cell.open{fill:#fca5a5}',
  'code{background:#f3f4f6;padding:0 .3em;border-radius:3px}.setup{margin:.3em 0}.figs span{margin-right:1.5em}',
  '.pill{border-radius:1em;padding:0 .6em;font-size:.85em;background:#eee}.ok{background:#dcfce7}.degraded{background:#fef9c3}.open{background:#fee2e2}',
  '.warn{background:#fff3cd;padding:.5em}.note{color:#6b7280}button{font:inherit;padding:0 .6em;cursor:pointer}',
  'table{border-collapse:collapse;width:100%;background:#fff}td,th{padding:.2em .6em;text-align:left;border-bottom:1px solid #f3f4f6;font-size:.9em}',
  '.details{margin-top:.3em}.details details{margin:.2em 0}#event-filter{margin:.4em 0}#event-filter label{margin-right:1em}',
  '.js .nojs{display:none}',
].join('');
