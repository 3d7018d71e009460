/// <reference lib="dom" />
// The dashboard's script (/-/dashboard/app.js): refreshes the server-rendered page from GET /-/status/dashboard,
// filters the events table in place, wires the copy buttons, and asks once for the status token when the
// server has one (kept in sessionStorage: gone with the tab, never in a URL).
import { chartsHtml, eventsHtml, instanceLiveHtml, storageHtml, type DashboardDoc, type EventFilter } from './view.js';

const TOKEN_KEY = 'cache-proxy-status-token';
const tokenRequired = document.body.dataset.tokenRequired === 'true';
let doc: DashboardDoc | undefined;
let filter: EventFilter = readFilter();

document.body.classList.add('js');

/** set a container's HTML only when it changed, so open <details> and selections survive a refresh */
function put(el: Element | null, html: string): void {
  if (el && el.getAttribute('data-html') !== String(hash(html))) { el.innerHTML = html; el.setAttribute('data-html', String(hash(html))); }
}
function hash(s: string): number { let h = 0; for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0; return h; }

function readFilter(): EventFilter {
  const form = document.querySelector<HTMLFormElement>('#event-filter');
  const q = form ? new FormData(form) : new URLSearchParams(location.search);
  return { type: String(q.get('type') ?? ''), instance: String(q.get('instance') ?? ''), result: String(q.get('result') ?? '') };
}

function renderEvents(): void {
  if (!doc) return;
  put(document.querySelector('#live-events'), eventsHtml(doc.events, filter));
}

function render(): void {
  if (!doc) return;
  put(document.querySelector('#live-storage'), storageHtml(doc));
  put(document.querySelector('#live-charts'), chartsHtml(doc));
  for (const el of document.querySelectorAll<HTMLElement>('.live[data-instance]')) put(el, instanceLiveHtml(doc, el.dataset.instance ?? ''));
  renderEvents();
  const updated = document.querySelector('#updated');
  if (updated) updated.textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC`;
  document.body.dataset.rendered = 'client';
}

async function refresh(): Promise<void> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (tokenRequired && !token) return askToken();
  let r: Response;
  try {
    r = await fetch('-/status/dashboard', { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
  } catch {
    return note('the proxy does not answer');
  }
  if (r.status === 401) { sessionStorage.removeItem(TOKEN_KEY); return askToken('that token was refused'); }
  if (!r.ok) return note(`status ${r.status}`);
  doc = (await r.json()) as DashboardDoc;
  const form = document.querySelector<HTMLFormElement>('#token-form');
  if (form) form.hidden = true;
  render();
}

function note(text: string): void {
  const updated = document.querySelector('#updated');
  if (updated) updated.textContent = text;
}

function askToken(message?: string): void {
  const form = document.querySelector<HTMLFormElement>('#token-form');
  if (!form) return;
  form.hidden = false;
  const n = form.querySelector('.note');
  if (n) n.textContent = message ?? '';
}

document.querySelector<HTMLFormElement>('#token-form')?.addEventListener('submit', (e) => {
  e.preventDefault();
  const input = (e.currentTarget as HTMLFormElement).querySelector<HTMLInputElement>('input[name=token]');
  if (!input?.value) return;
  sessionStorage.setItem(TOKEN_KEY, input.value);
  input.value = '';
  void refresh();
});

// the filter form works without JavaScript (a GET of the page); with it, the table filters in place
const events = document.querySelector('#live-events');
events?.addEventListener('change', () => {
  filter = readFilter();
  const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v) as [string, string][]);
  history.replaceState(null, '', `${location.pathname}${q.size ? `?${q}` : ''}${location.hash}`);
  renderEvents();
});
events?.addEventListener('submit', (e) => e.preventDefault());

for (const button of document.querySelectorAll<HTMLButtonElement>('button.copy')) {
  button.hidden = false;
  button.addEventListener('click', () => {
    const text = button.dataset.copy ?? '';
    const done = (ok: boolean) => { button.textContent = ok ? 'copied' : 'select and copy'; setTimeout(() => { button.textContent = 'copy'; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(() => done(true), () => done(selectCode(button)));
    else done(selectCode(button));
  });
}

/** without the clipboard API (plain http beyond localhost): select the setup line and ask the browser to copy it */
function selectCode(button: HTMLElement): boolean {
  const code = button.parentElement?.querySelector('code');
  const sel = window.getSelection();
  if (!code || !sel) return false;
  const range = document.createRange();
  range.selectNodeContents(code);
  sel.removeAllRanges();
  sel.addRange(range);
  try { return document.execCommand('copy'); } catch { return false; }
}

void refresh();
setInterval(() => { if (!document.hidden) void refresh(); }, (doc?.history.interval_s ?? 10) * 1000);
