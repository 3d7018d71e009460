// Embedded default (no configuration file): a cargo instance when this machine's cargo replaces crates-io with
// a sparse registry (`[source.crates-io] replace-with = "x"` and `[source.x] registry = "sparse+…"`), read
// from cargo's user config at run time.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SEP, tomlStrings } from './toml.js';

export interface CargoDiscoverOptions { env?: NodeJS.ProcessEnv }

/** the sparse registry crates-io is replaced with in one cargo config text, or undefined */
export function sparseReplacementOf(text: string): string | undefined {
  let values;
  try { values = tomlStrings(text); } catch { return undefined; }
  const name = values.get(['source', 'crates-io', 'replace-with'].join(SEP));
  const registry = name === undefined ? undefined : values.get(['source', name, 'registry'].join(SEP));
  return registry && /^sparse\+https?:\/\/[^/]/.test(registry) ? registry : undefined;
}

export async function discoverCargo(o: CargoDiscoverOptions = {}): Promise<{ name: string; block: Record<string, unknown> }[]> {
  const env = o.env ?? process.env;
  const home = env.CARGO_HOME || join(env.HOME ?? homedir(), '.cargo');
  // cargo prefers config.toml when both exist
  for (const file of ['config.toml', 'config']) {
    const text = await readFile(join(home, file), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const registry = sparseReplacementOf(text);
    return registry ? [{ name: 'cargo', block: { route: { path: '/cargo' }, upstream: registry.replace(/^sparse\+/, '').replace(/\/+$/, '') } }] : [];
  }
  return [];
}
