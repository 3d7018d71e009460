// The embedded default configuration: used when no config file is found.
// Instances come only from the modes' `discover` hooks, which read this machine's client settings; the
// storage folder is the schema's default `server.backend`, the same one a config file gets.
import { stringify } from 'yaml';
import type { ModeDefinition } from '../mode.js';

export async function embeddedDefaultYaml(modes: readonly ModeDefinition[] = [], selfBind = '127.0.0.1:18080'): Promise<string> {
  const instances: Record<string, unknown>[] = [];
  const names = new Set<string>();
  for (const mode of modes) {
    for (const found of (await mode.discover?.().catch(() => [])) ?? []) {
      const upstreams = JSON.stringify(found.block);
      if (upstreams.includes(`//${selfBind}`) || upstreams.includes(`//localhost:${selfBind.split(':')[1]}`)) continue; // never loop to ourselves
      let { name, block } = found;
      // two modes discovering the same name: the later one is told apart by its mode
      if (names.has(name)) {
        const renamed = `${name}-${mode.name}`;
        if ((block.route as { path?: string } | undefined)?.path === `/${name}`) block = { ...block, route: { ...(block.route as object), path: `/${renamed}` } };
        name = renamed;
      }
      names.add(name);
      instances.push({ name, enabled: true, [mode.name]: block });
    }
  }
  return stringify({ server: { bind: selfBind }, instances });
}
