// The dashboard's views: pure functions from the JSON documents of /-/status/* to HTML and inline SVG. The server
// renders the page with them (it works without JavaScript) and the browser imports this same file
// (/-/dashboard/view.js) to re-render the live parts. No runtime imports: it must load in a browser as is.

/** a scheduler or upstream event as the status board keeps it (the fields the page shows) */
export interface StatusEvent { instance?: string; storage?: string; task_type?: string; target?: string; started_at: string; duration_ms?: number; result: string; reason_code?: string; detail?: string; message?: string }
export interface InstanceCounters { requests: number; hits: number; bytes_served: number; upstream_requests: number; upstream_errors: number; health: Record<string, number> }
export interface HistoryDoc { interval_s: number; window_s: number; samples: { at: number; instances: Record<string, InstanceCounters>; live?: boolean }[] }
export interface DiskSample { at: string; total_bytes: number; free_bytes: number; cache_bytes?: number }
export interface DashboardInstance { name: string; mode: string; stored_bytes: number; details?: Record<string, unknown> }
/** everything the live parts of the page show: GET /-/status/dashboard */
export interface DashboardDoc {
  version: string; uptime_s: number; degraded: boolean;
  storage: { used_bytes: number; limit_bytes: number | null; free_bytes: number; entries: number };
  instances: DashboardInstance[];
  history: HistoryDoc;
  disk: { interval_s: number; window_s: number; samples: DiskSample[] };
  events: StatusEvent[];
}
export interface EventFilter { type?: string; instance?: string; result?: string }

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}
const count = (n: number) => Math.round(n).toLocaleString('en');
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

const HEALTH: Record<number, [string, string]> = { 0: ['closed', 'ok'], 1: ['degraded', 'degraded'], 2: ['open', 'open'], 3: ['half-open', 'degraded'] };
const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];
const ZERO: InstanceCounters = { requests: 0, hits: 0, bytes_served: 0, upstream_requests: 0, upstream_errors: 0, health: {} };

export interface Series { name: string; points: [number, number | null][] }

/** a line chart in inline SVG: one path per series (null values break the line), a dot per point, 0 and max on the y axis */
export function lineChart(o: { id: string; title: string; series: Series[]; format: (v: number) => string; yMax?: number }): string {
  const W = 360, H = 120, L = 48, R = 8, T = 8, B = 18;
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1]).filter((v): v is number => v !== null));
  const legend = o.series.map((s, i) => {
    const last = [...s.points].reverse().find((p) => p[1] !== null)?.[1];
    return `<span class="key"><i style="background:${PALETTE[i % PALETTE.length]}"></i>${esc(s.name)} <b class="value" data-series="${esc(s.name)}">${last === undefined || last === null ? '—' : esc(o.format(last))}</b></span>`;
  }).join('');
  const head = `<figure class="chart" id="${esc(o.id)}"><figcaption>${esc(o.title)}</figcaption>`;
  if (xs.length === 0) return `${head}<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}: no data yet"><text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">no data yet</text></svg><div class="legend">${legend}</div></figure>`;
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  const yMax = o.yMax ?? niceCeil(Math.max(0, ...ys));
  const x = (t: number) => L + (x1 === x0 ? (W - L - R) / 2 : ((t - x0) / (x1 - x0)) * (W - L - R));
  const y = (v: number) => T + (H - T - B) * (1 - Math.min(v, yMax) / (yMax || 1));
  const grid = [0, 0.5, 1].map((f) => `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(yMax * f).toFixed(1)}" y2="${y(yMax * f).toFixed(1)}"/><text class="axis" x="${L - 4}" y="${(y(yMax * f) + 3).toFixed(1)}" text-anchor="end">${esc(o.format(yMax * f))}</text>`).join('');
  const times = `<text class="axis" x="${L}" y="${H - 4}">${clock(x0)}</text><text class="axis" x="${W - R}" y="${H - 4}" text-anchor="end">${clock(x1)} UTC</text>`;
  const paths = o.series.map((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    let d = '', pen = false;
    for (const [t, v] of s.points) {
      if (v === null) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)} ${y(v).toFixed(1)}`;
      pen = true;
    }
    const dots = s.points.filter((p) => p[1] !== null).map(([t, v]) => `<circle class="point" cx="${x(t).toFixed(1)}" cy="${y(v!).toFixed(1)}" r="1.8" fill="${color}"><title>${esc(s.name)} ${clock(t)}: ${esc(o.format(v!))}</title></circle>`).join('');
    return `<path class="series" data-series="${esc(s.name)}" d="${d}" stroke="${color}" fill="none"/>${dots}`;
  }).join('');
  return `${head}<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">${grid}${times}${paths}</svg><div class="legend">${legend}</div></figure>`;
}

/** 1, 2 or 5 times a power of ten, at least v (and at least 1) */
function niceCeil(v: number): number {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const f of [1, 2, 5, 10]) if (f * p >= v) return f * p;
  return 10 * p;
}

/** per-interval values of one instance: f(previous, current, seconds) at each sample after the first */
export function perInterval(h: HistoryDoc, inst: string, f: (a: InstanceCounters, b: InstanceCounters, dt: number) => number | null): [number, number | null][] {
  const out: [number, number | null][] = [];
  const s = h.samples;
  for (let i = 1; i < s.length; i++) {
    const dt = (s[i]!.at - s[i - 1]!.at) / 1000;
    // a live sample moments after the last one would show a rate from almost no time
    if (dt <= 0 || (s[i]!.live && i > 1 && dt < Math.min(2, h.interval_s / 2))) continue;
    out.push([s[i]!.at, f(s[i - 1]!.instances[inst] ?? ZERO, s[i]!.instances[inst] ?? ZERO, dt)]);
  }
  return out;
}

export function latest(h: HistoryDoc, inst: string): InstanceCounters { return h.samples.at(-1)?.instances[inst] ?? ZERO; }

/** upstream health over time: one strip per instance and upstream, a cell per sample coloured by breaker state */
export function healthChart(h: HistoryDoc, instances: string[]): string {
  const rows: string[] = [];
  const n = h.samples.length;
  for (const inst of instances) {
    const ups = [...new Set(h.samples.flatMap((s) => Object.keys(s.instances[inst]?.health ?? {})))];
    for (const up of ups) {
      const cells = h.samples.map((s, i) => {
        const v = s.instances[inst]?.health[up];
        return v === undefined ? '' : `<rect class="cell ${HEALTH[v]?.[1] ?? ''}" x="${((i / n) * 100).toFixed(2)}%" width="${(100 / n).toFixed(2)}%" height="12"><title>${clock(s.at)}: ${HEALTH[v]?.[0] ?? v}</title></rect>`;
      }).join('');
      const now = latest(h, inst).health[up];
      rows.push(`<div class="strip"><span>${esc(inst)} · ${esc(up)} <span class="pill ${HEALTH[now ?? -1]?.[1] ?? ''}">${esc(now === undefined ? '—' : HEALTH[now]?.[0] ?? String(now))}</span></span><svg width="100%" height="12" preserveAspectRatio="none">${cells}</svg></div>`);
    }
  }
  return `<figure class="chart wide" id="chart-health"><figcaption>upstream health (circuit breaker)</figcaption>${rows.join('') || '<p class="empty">no upstream contacted yet</p>'}</figure>`;
}

const perMin = (v: number) => `${v >= 10 ? count(v) : v.toFixed(1)}/min`;
const pct = (v: number) => `${v.toFixed(v === 100 || v === 0 ? 0 : 1)} %`;
const rate = (v: number) => `${bytes(v)}/s`;

/** the charts of the page: traffic per instance, health, and disk use from the persisted samples */
export function chartsHtml(doc: DashboardDoc): string {
  const names = doc.instances.map((i) => i.name);
  const series = (f: Parameters<typeof perInterval>[2]) => names.map((n) => ({ name: n, points: perInterval(doc.history, n, f) }));
  const disk = doc.disk.samples.map((s) => ({ t: Date.parse(s.at), s }));
  const total = Math.max(1, ...doc.disk.samples.map((s) => s.total_bytes));
  return `<div class="charts">`
    + lineChart({ id: 'chart-requests', title: 'requests per minute', format: perMin, series: series((a, b, dt) => ((b.requests - a.requests) / dt) * 60) })
    + lineChart({ id: 'chart-hit-ratio', title: 'hit ratio', format: pct, yMax: 100, series: series((a, b) => b.requests > a.requests ? (100 * (b.hits - a.hits)) / (b.requests - a.requests) : null) })
    + lineChart({ id: 'chart-bytes', title: 'bytes served per second', format: rate, series: series((a, b, dt) => (b.bytes_served - a.bytes_served) / dt) })
    + lineChart({ id: 'chart-upstream', title: 'upstream requests and errors per minute', format: perMin, series: [
      ...series((a, b, dt) => ((b.upstream_requests - a.upstream_requests) / dt) * 60).map((s) => ({ ...s, name: `${s.name} requests` })),
      ...series((a, b, dt) => ((b.upstream_errors - a.upstream_errors) / dt) * 60).filter((s) => s.points.some((p) => (p[1] ?? 0) > 0)).map((s) => ({ ...s, name: `${s.name} errors` })),
    ] })
    + lineChart({ id: 'chart-cache-size', title: `cache size (every ${duration(doc.disk.interval_s)}, persisted)`, format: bytes, series: [{ name: 'cache', points: disk.filter((d) => d.s.cache_bytes !== undefined).map((d) => [d.t, d.s.cache_bytes!]) }] })
    + lineChart({ id: 'chart-filesystem', title: 'filesystem used of the backend', format: bytes, yMax: total, series: [{ name: 'used', points: disk.map((d) => [d.t, d.s.total_bytes - d.s.free_bytes]) }] })
    + healthChart(doc.history, names)
    + `</div>`;
}

function duration(s: number): string {
  return s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`;
}

export function storageHtml(doc: DashboardDoc): string {
  const st = doc.storage;
  const last = doc.disk.samples.at(-1);
  return `<p id="storage">storage: ${bytes(st.used_bytes)} used${st.limit_bytes !== null ? ` of ${bytes(st.limit_bytes)}` : ''}, ${bytes(st.free_bytes)} free on disk${last ? ` (of ${bytes(last.total_bytes)})` : ''}, ${count(st.entries)} entries · up ${duration(doc.uptime_s)}${doc.degraded ? ' · <span class="pill open">storage degraded</span>' : ''}</p>`;
}

/** the live part of an instance's card: figures, upstream health now, and the mode's status object */
export function instanceLiveHtml(doc: DashboardDoc, name: string): string {
  const inst = doc.instances.find((i) => i.name === name);
  const c = latest(doc.history, name);
  const health = Object.entries(c.health).map(([up, v]) => `<span class="pill ${HEALTH[v]?.[1] ?? ''}">${esc(up)}: ${HEALTH[v]?.[0] ?? v}</span>`).join(' ');
  const figs = `<div class="figs"><span data-fig="requests">${count(c.requests)} requests</span><span data-fig="hit-ratio">hit ratio ${c.requests ? `${((100 * c.hits) / c.requests).toFixed(1)} %` : '—'}</span><span data-fig="served">${bytes(c.bytes_served)} served</span><span data-fig="stored">${bytes(inst?.stored_bytes ?? 0)} stored</span><span data-fig="upstream">${count(c.upstream_requests)} upstream requests, ${count(c.upstream_errors)} errors</span></div>`;
  return `${figs}${health ? `<div>upstreams: ${health}</div>` : ''}${inst?.details ? detailsHtml(inst.details) : ''}`;
}

/** a mode's status object: scalars as `key: value`, lists of records as a table, nested objects as a nested list */
export function detailsHtml(d: Record<string, unknown>): string {
  const cell = (v: unknown) => esc(typeof v === 'string' ? v : JSON.stringify(v) ?? '');
  return `<div class="details">${Object.entries(d).map(([k, v]) => {
    if (Array.isArray(v) && v.length && v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      const cols = [...new Set(v.flatMap((x) => Object.keys(x as object)))];
      return `<details open><summary>${esc(k)} (${v.length})</summary><table><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${v.map((x) => `<tr>${cols.map((c) => `<td>${cell((x as Record<string, unknown>)[c])}</td>`).join('')}</tr>`).join('')}</table></details>`;
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const flat = Object.values(v).every((x) => x === null || typeof x !== 'object');
      return flat
        ? `<div>${esc(k)}: ${Object.entries(v).map(([kk, vv]) => `${esc(kk)} <code>${cell(vv)}</code>`).join(' · ')}</div>`
        : `<details><summary>${esc(k)}</summary>${detailsHtml(v as Record<string, unknown>)}</details>`;
    }
    return `<div>${esc(k)}: ${cell(v)}</div>`;
  }).join('')}</div>`;
}

export const eventType = (e: StatusEvent): string => e.task_type ?? e.reason_code ?? e.storage ?? 'event';
const eventWho = (e: StatusEvent) => e.instance ?? e.storage ?? '';

export function matches(e: StatusEvent, f: EventFilter): boolean {
  return (!f.type || eventType(e) === f.type) && (!f.instance || eventWho(e) === f.instance) && (!f.result || e.result === f.result);
}

const EVENT_ROWS = 50;

/** the events table with its filter form: a plain GET form without JavaScript, filtering in place with it */
export function eventsHtml(events: StatusEvent[], f: EventFilter): string {
  const select = (name: keyof EventFilter, label: string, values: string[]) =>
    `<label>${label} <select name="${name}"><option value="">all</option>${[...new Set(values)].filter(Boolean).sort().map((v) => `<option${v === f[name] ? ' selected' : ''}>${esc(v)}</option>`).join('')}</select></label>`;
  const shown = events.filter((e) => matches(e, f));
  const rows = shown.slice(0, EVENT_ROWS).map((e) => `<tr data-type="${esc(eventType(e))}" data-instance="${esc(eventWho(e))}" data-result="${esc(e.result)}"><td>${esc(e.started_at.replace('T', ' ').slice(0, 19))}</td><td>${esc(eventWho(e))}</td><td>${esc(eventType(e))}</td><td>${esc(e.target ?? '')}</td><td><span class="pill ${/fail|error|open/.test(e.result) ? 'open' : /success|updated|unchanged|closed/.test(e.result) ? 'ok' : ''}">${esc(e.result)}</span></td><td>${e.duration_ms !== undefined ? `${e.duration_ms} ms` : ''}</td><td>${esc(e.message ?? e.detail ?? '')}</td></tr>`).join('');
  return `<form id="event-filter" method="get" action="">${select('type', 'type', events.map(eventType))}${select('instance', 'instance', events.map(eventWho))}${select('result', 'result', events.map((e) => e.result))}<button class="nojs">filter</button> <span id="event-count">${shown.length} of ${events.length}${shown.length > EVENT_ROWS ? `, the newest ${EVENT_ROWS} listed` : ''}</span></form>`
    + `<table id="events"><thead><tr><th>started (UTC)</th><th>instance</th><th>type</th><th>target</th><th>result</th><th>took</th><th>message</th></tr></thead><tbody>${rows || '<tr><td colspan="7" class="empty">no events</td></tr>'}</tbody></table>`;
}
