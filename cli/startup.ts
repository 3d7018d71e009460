// What `serve` prints on stdout once it listens: where the configuration came from, then one line per
// served instance with its URL and the client setup line of its mode (the same `snippet` the home page shows).
import type { ModeDefinition } from '../engine/mode.js';
import type { EffectiveConfig } from '../engine/config/types.js';
import { expandHome } from '../engine/config/values.js';

export const BUILT_IN_NOTICE = 'no configuration file: using the built-in default';

/** `addresses` as bound (`127.0.0.1:18080`): the main listener, then one per instance with a `bind` of its own */
export function startupMessage(cfg: EffectiveConfig, modes: readonly ModeDefinition[], addresses: string[]): string {
  const byName = new Map(modes.map((d) => [d.name, d]));
  const served = cfg.instances.filter((i) => i.enabled);
  const local = (a: string) => `http://${a.replace(/^(0\.0\.0\.0|\[::\]):/, '127.0.0.1:')}`;
  const base = cfg.server.public_url?.replace(/\/+$/, '') ?? local(addresses[0] ?? cfg.server.bind);
  const dedicated = addresses.slice(1);
  const lines = [cfg.file ? `configuration: ${cfg.file}` : BUILT_IN_NOTICE];
  const rows = served.map((i) => {
    const bind = i.block.bind as string | undefined;
    const url = bind ? local(dedicated.shift() ?? bind) : `${base}${String((i.block.route as { path?: string } | undefined)?.path ?? '')}`;
    return [i.name, url, byName.get(i.mode)?.hooks?.snippet?.(url, i.block) ?? url] as const;
  });
  const w0 = Math.max(0, ...rows.map((r) => r[0].length)), w1 = Math.max(0, ...rows.map((r) => r[1].length));
  for (const [name, url, setup] of rows) lines.push(`  ${name.padEnd(w0)}  ${url.padEnd(w1)}  ${setup}`);
  if (!rows.length) lines.push(cfg.file
    ? '  no enabled instances'
    : '  no client configured on this machine was found (npm registry, apt sources): write a configuration file (README: "A minimal configuration") and pass it with -c');
  const storage = expandHome(cfg.server.backend);
  lines.push(`storage: ${cfg.server.backend}${storage !== cfg.server.backend ? ` (${storage})` : ''}`);
  if (!cfg.file) lines.push('`cache-proxy serve --print-config > cache-proxy.yaml` writes this configuration out for editing');
  return lines.join('\n') + '\n';
}
