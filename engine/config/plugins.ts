// Third-party mode packages named in `plugins:`, loaded and checked before the configuration is validated.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve, join } from 'node:path';
import type { ModeDefinition } from '../mode.js';
import { checkModeDefinition } from './schema.js';
import { packageRoot } from '../paths.js';

export async function loadPlugins(names: string[], configDir: string): Promise<{ modes: ModeDefinition[]; errors: string[] }> {
  const modes: ModeDefinition[] = [];
  const errors: string[] = [];
  for (const name of names) {
    let entry: string;
    try {
      if (name.startsWith('./') || name.startsWith('../') || isAbsolute(name)) entry = createRequire(join(resolve(configDir, name), 'package.json')).resolve(resolve(configDir, name));
      else {
        try { entry = createRequire(join(configDir, 'noop.js')).resolve(name); } catch { entry = createRequire(join(packageRoot, 'noop.js')).resolve(name); }
      }
    } catch {
      errors.push(`plugin ${name}: cannot be resolved from ${configDir} or the installation's node_modules`);
      continue;
    }
    let mod: { default?: unknown };
    try { mod = (await import(pathToFileURL(entry).href)) as { default?: unknown }; } catch (e) {
      errors.push(`plugin ${name}: failed to load: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    const defs = Array.isArray(mod.default) ? mod.default : [mod.default];
    for (const def of defs as ModeDefinition[]) {
      const problems = checkModeDefinition(def, `plugin ${name}`);
      if (problems.length) errors.push(...problems);
      else modes.push(Object.freeze(def));
    }
  }
  return { modes, errors };
}
