// The embedded default configuration (engine spec §9): used when no config file is found.
// Instances come only from the modes' `discover` hooks, which read this machine's client settings.
import { stringify } from 'yaml';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ModeDefinition } from '../mode.js';

export async function embeddedDefaultYaml(modes: readonly ModeDefinition[] = [], selfBind = '127.0.0.1:18080'): Promise<string> {
  const backend = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'cache-proxy');
  const instances: Record<string, unknown>[] = [];
  for (const mode of modes) {
    for (const found of (await mode.discover?.().catch(() => [])) ?? []) {
      const upstreams = JSON.stringify(found.block);
      if (upstreams.includes(`//${selfBind}`) || upstreams.includes(`//localhost:${selfBind.split(':')[1]}`)) continue; // never loop to ourselves
      instances.push({ name: found.name, enabled: true, [mode.name]: found.block });
    }
  }
  return stringify({ server: { bind: selfBind, backend }, instances });
}
