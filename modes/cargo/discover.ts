// Embedded default (no configuration file): a cargo instance when this machine's cargo replaces crates-io with
// a sparse registry (`[source.crates-io] replace-with = "x"` and `[source.x] registry = "sparse+…"`), read
// from cargo's user config at run time.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';

export interface CargoDiscoverOptions { env?: NodeJS.ProcessEnv }

/** the sparse registry crates-io is replaced with in one cargo config text, or undefined */
export function sparseReplacementOf(text: string): string | undefined {
  let doc: Record<string, unknown>;
  try { doc = parse(text); } catch { return undefined; }
  const sources = (doc.source ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const name = sources['crates-io']?.['replace-with'];
  const registry = typeof name === 'string' ? sources[name]?.registry : undefined;
  return typeof registry === 'string' && /^sparse\+https?:\/\/[^/]/.test(registry) ? registry : undefined;
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
