// `cache-proxy warm <file…> [--check]`: every artifact a lockfile names, fetched through the running proxy
// (a progress bar on a terminal, a summary always); --check asks with HEAD and reports what the cache holds.
import { readFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import type { EffectiveConfig } from '../../../engine/config/types.js';
import { proxyBase, proxyRunning } from '../proxy-api.js';
import { detectFormat, PARSERS, type WarmItem } from './lockfiles.js';

export interface WarmOutcome { item: WarmItem; status: number; cache: string; error?: string }
const CACHED = new Set(['HIT', 'FRESH', 'STALE', 'GENERATION']);
const PARALLEL = 4;

/** the base URL of the first enabled instance of a mode: its dedicated listener or its mount on the main one */
export function instanceBase(cfg: EffectiveConfig, mode: string, url?: string): string | undefined {
  const inst = cfg.instances.find((i) => i.enabled && i.mode === mode);
  if (!inst) return undefined;
  if (inst.block.bind) return proxyBase({ ...cfg, server: { ...cfg.server, bind: String(inst.block.bind) } });
  return proxyBase(cfg, url) + ((inst.block.route as { path?: string } | undefined)?.path ?? '');
}

async function request(url: string, item: WarmItem, head: boolean, more: (found: WarmItem[]) => void): Promise<WarmOutcome> {
  try {
    // a page that names the artifacts is read even by --check: its links are the artifacts to look for
    const r = await fetch(url, { method: head && !item.pick ? 'HEAD' : 'GET', headers: item.accept ? { accept: item.accept } : {}, signal: AbortSignal.timeout(600_000) });
    if (item.pick && r.ok) {
      const found = item.pick(await r.text(), url);
      if (!found.length) return { item, status: 404, cache: r.headers.get('x-cache') ?? '-', error: 'the page lists none of the pinned files' };
      more(found.map((f) => ({ mode: item.mode, path: f.url, label: f.label })));
    } else if (r.body) for await (const _ of r.body) { /* drained: a fill that fails midway is a failure here too */ }
    return { item, status: r.status, cache: r.headers.get('x-cache') ?? '-' };
  } catch (e) {
    return { item, status: 0, cache: 'ERROR', error: (e as Error).message };
  }
}
const urlOf = (base: string, item: WarmItem) => (/^https?:\/\//.test(item.path) ? item.path : `${base}/${item.path}`);

export async function runWarm(cfg: EffectiveConfig, files: string[], o: { check?: boolean; url?: string; json?: boolean }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const items: WarmItem[] = [];
  const unsupported: string[] = [];
  const problems: string[] = [];
  for (const f of files) {
    const format = detectFormat(f);
    const parse = format ? PARSERS[format] : undefined;
    if (!parse) { unsupported.push(`${f}: ${format ? `${format} is not supported by warm yet` : 'not a lockfile warm knows'}`); continue; }
    try {
      const p = parse(await readFile(f, 'utf8'));
      items.push(...p.items.filter((i) => !items.some((x) => x.mode === i.mode && x.path === i.path)));
      problems.push(...p.problems.map((x) => `${f}: ${x}`));
    } catch (e) { problems.push(`${f}: ${(e as Error).message}`); }
  }
  const main = proxyBase(cfg, o.url);
  if (!(await proxyRunning(cfg, main))) { err(`cache-proxy warm: no proxy answers at ${main} (start it with \`cache-proxy serve\`, or pass --url)\n`); return 1; }
  const bases = new Map<string, string | undefined>();
  for (const i of items) if (!bases.has(i.mode)) bases.set(i.mode, instanceBase(cfg, i.mode, o.url));
  for (const [mode, b] of bases) if (!b) unsupported.push(`no enabled ${mode} instance in the configuration: ${items.filter((i) => i.mode === mode).length} requests not made`);
  const todo = items.filter((i) => bases.get(i.mode));

  const bar = process.stdout.isTTY && !process.env.CI && !o.json
    ? new cliProgress.SingleBar({ format: `${o.check ? 'checking' : 'warming'} [{bar}] {value}/{total} {label}`, hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(todo.length, 0, { label: '' });
  const outcomes: WarmOutcome[] = [];
  let next = 0;
  let active = 0;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    // a worker waits while others are still running: a page they read may add artifacts
    for (;;) {
      if (next >= todo.length) { if (active === 0) return; await new Promise((r) => setTimeout(r, 20)); continue; }
      active++;
      const item = todo[next++]!;
      outcomes.push(await request(urlOf(bases.get(item.mode)!, item), item, !!o.check, (found) => { todo.push(...found); bar?.setTotal(todo.length); }));
      bar?.increment(1, { label: item.label });
      active--;
    }
  }));
  bar?.stop();

  const failed = outcomes.filter((x) => x.status < 200 || x.status >= 300);
  const cached = outcomes.filter((x) => x.status >= 200 && x.status < 300 && CACHED.has(x.cache));
  const byLabel: Record<string, number> = {};
  for (const x of outcomes) byLabel[x.cache] = (byLabel[x.cache] ?? 0) + 1;
  const missing = o.check ? outcomes.filter((x) => !cached.includes(x)) : failed;
  if (o.json) {
    out(JSON.stringify({ requests: outcomes.length, cached: cached.length, by_cache: byLabel, failed: failed.map((x) => ({ path: x.item.path, status: x.status, error: x.error })), missing: missing.map((x) => x.item.path), unsupported, problems }, null, 2) + '\n');
  } else {
    for (const x of missing) out(`${o.check ? 'missing' : 'failed'}: ${x.item.label} (${x.item.mode} ${x.item.path}): ${x.error ?? `${x.status} ${x.cache}`}\n`);
    for (const u of unsupported) out(`unsupported: ${u}\n`);
    for (const p of problems) out(`skipped: ${p}\n`);
    const labels = Object.entries(byLabel).map(([k, v]) => `${k} ${v}`).join(', ');
    out(o.check
      ? `${cached.length} of ${outcomes.length} cached (verified when stored), ${missing.length} missing${labels ? ` — ${labels}` : ''}\n`
      : `${outcomes.length} requests: ${outcomes.length - failed.length} ok, ${failed.length} failed${labels ? ` — ${labels}` : ''}\n`);
  }
  return missing.length || unsupported.length ? 1 : 0;
}
