// `cache-proxy du`: the backend's disk use per instance and kind, from the running proxy (what its metrics
// report) or, when none answers, measured on disk with blob owners read from the entry records.
import type { EffectiveConfig } from '../../engine/config/types.js';
import type { DiskUsage } from '../../engine/cache/disk-usage.js';
import { measureOffline } from '../../engine/cache/open-store.js';
import { humanBytes, proxyApi, proxyRunning } from './proxy-api.js';

export async function runDu(cfg: EffectiveConfig, o: { json?: boolean; url?: string; offline?: boolean }, out: (s: string) => void): Promise<number> {
  const api = proxyApi(cfg, o.url);
  let u: DiskUsage;
  let source: string;
  if (!o.offline && (await proxyRunning(cfg, api.base))) {
    const r = await api.status('usage?fresh=1&kinds=1');
    if (r.status !== 200) { out(`cache-proxy du: ${api.base} answered ${r.status}: ${(await r.text()).trim()}\n`); return 1; }
    u = (await r.json()) as DiskUsage;
    source = `the proxy at ${api.base}`;
  } else {
    const m = await measureOffline(cfg);
    u = m.usage;
    source = `${m.source} (no proxy answered at ${api.base}; blobs only a mode holds count as shared)`;
  }
  if (o.json) { out(JSON.stringify({ source, ...u }, null, 2) + '\n'); return 0; }
  const modeOf = new Map(cfg.instances.map((i) => [i.name, i.mode]));
  const rows: string[][] = [['INSTANCE', 'MODE', 'BYTES', 'SIZE', 'BLOBS', 'RECORDS', 'STATE', 'MODE DATA']];
  for (const [name, i] of Object.entries(u.instances).sort((a, b) => b[1].bytes - a[1].bytes)) {
    rows.push([name, modeOf.get(name) ?? '(not configured)', String(i.bytes), humanBytes(i.bytes), humanBytes(i.blob_bytes), humanBytes(i.record_bytes), humanBytes(i.state_bytes), humanBytes(i.mode_bytes)]);
    for (const [kind, k] of Object.entries(i.kinds ?? {}).sort()) rows.push([`  ${kind}`, `${k.entries} entries`, String(k.bytes), humanBytes(k.bytes), '', '', '', '']);
  }
  rows.push(['(shared)', 'tmp, engine state, directories, unowned blobs', String(u.shared_bytes), humanBytes(u.shared_bytes), '', '', '', '']);
  rows.push(['total', '', String(u.total_bytes), humanBytes(u.total_bytes), '', '', '', '']);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) out(r.map((cell, c) => (c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd() + '\n');
  out(`measured ${u.measured_at} from ${source}\n`);
  return 0;
}
