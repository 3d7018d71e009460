// Embedded default (engine spec §9): the registry this machine's npm is configured for.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export async function discoverNpm(env: NodeJS.ProcessEnv = process.env): Promise<{ name: string; block: Record<string, unknown> }[]> {
  let registry = env.NPM_CONFIG_REGISTRY ?? env.npm_config_registry;
  if (!registry) {
    const rc = await readFile(join(env.HOME ?? homedir(), '.npmrc'), 'utf8').catch(() => '');
    registry = /^\s*registry\s*=\s*(\S+)\s*$/m.exec(rc)?.[1];
  }
  if (!registry || !/^https?:\/\/[^/]/.test(registry)) return [];
  return [{ name: 'npm', block: { route: { path: '/npm' }, upstream: registry.replace(/\/+$/, '') } }];
}
