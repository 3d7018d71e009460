// Third-party mode packages named in `plugins:` (engine spec §2.4): an npm package name, or a `./` path
// relative to the config file (absolute paths work too). Packages resolve from the config file's
// directory, then from the installation's node_modules. The default export is one ModeDefinition or an
// array; each passes the same load checks as the built-ins. Plugins run in-process with full trust.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve, join, dirname } from 'node:path';
import type { ModeDefinition } from '../mode.js';
import { checkModeDefinition } from './schema.js';
import { packageRoot } from '../paths.js';

const isFile = (p: string) => { try { return statSync(p).isFile(); } catch { return false; } };
const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };

/** the ESM entry of a package directory: exports["."] (import/node/default), module, main, index.js */
function packageEntry(dir: string): string | undefined {
  let pkg: { exports?: unknown; module?: string; main?: string } = {};
  try { pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pkg; } catch { /* no package.json */ }
  const pick = (e: unknown): string | undefined => {
    if (typeof e === 'string') return e;
    if (Array.isArray(e)) { for (const x of e) { const r = pick(x); if (r) return r; } return undefined; }
    if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      if ('.' in o) return pick(o['.']);
      for (const c of ['import', 'node', 'default', 'require']) if (c in o) { const r = pick(o[c]); if (r) return r; }
    }
    return undefined;
  };
  for (const rel of [pick(pkg.exports), pkg.module, pkg.main, 'index.js']) {
    if (!rel) continue;
    const p = resolve(dir, rel);
    if (isFile(p)) return p;
    if (isFile(`${p}.js`)) return `${p}.js`;
    if (isFile(join(p, 'index.js'))) return join(p, 'index.js');
  }
  return undefined;
}

/** a package name found in node_modules at or above `from` */
function resolvePackage(name: string, from: string): string | undefined {
  const [scopeOrName, sub] = name.startsWith('@') ? [name.split('/').slice(0, 2).join('/'), name.split('/').slice(2).join('/')] : [name.split('/')[0]!, name.split('/').slice(1).join('/')];
  for (let d = resolve(from); ; d = dirname(d)) {
    const dir = join(d, 'node_modules', scopeOrName);
    if (isDir(dir)) {
      if (!sub) return packageEntry(dir);
      const p = join(dir, sub);
      return isFile(p) ? p : isDir(p) ? packageEntry(p) : isFile(`${p}.js`) ? `${p}.js` : undefined;
    }
    if (dirname(d) === d) break;
  }
  try { return createRequire(join(from, 'noop.js')).resolve(name); } catch { return undefined; }
}

/** the file to import for a plugin name, or undefined */
export function resolvePlugin(name: string, configDir: string): string | undefined {
  if (name.startsWith('./') || name.startsWith('../') || isAbsolute(name)) {
    const p = resolve(configDir, name);
    if (isFile(p)) return p;
    if (isDir(p)) return packageEntry(p);
    if (isFile(`${p}.js`)) return `${p}.js`;
    return undefined;
  }
  return resolvePackage(name, configDir) ?? resolvePackage(name, packageRoot);
}

/**
 * Loads the plugin modes. `taken`: names of the built-in modes (a plugin may not reuse one).
 * Errors name the plugin and the problem; a plugin with any problem contributes no mode.
 */
export async function loadPlugins(names: string[], configDir: string, taken: readonly string[] = []): Promise<{ modes: ModeDefinition[]; errors: string[] }> {
  const modes: ModeDefinition[] = [];
  const errors: string[] = [];
  const used = new Set(taken);
  for (const name of names) {
    const entry = resolvePlugin(name, configDir);
    if (!entry || !existsSync(entry)) {
      errors.push(`plugin ${name}: cannot be resolved from ${configDir} or from the installation's node_modules`);
      continue;
    }
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(entry).href)) as { default?: unknown };
    } catch (e) {
      errors.push(`plugin ${name}: failed to load ${entry}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    if (mod.default === undefined) { errors.push(`plugin ${name}: has no default export (a ModeDefinition or an array of them)`); continue; }
    const defs = (Array.isArray(mod.default) ? mod.default : [mod.default]) as ModeDefinition[];
    const problems: string[] = [];
    const mine: string[] = [];
    for (const def of defs) {
      problems.push(...checkModeDefinition(def, `plugin ${name}`, [...used, ...mine]));
      if (def && typeof def.name === 'string') mine.push(def.name);
    }
    if (problems.length) { errors.push(...problems); continue; }
    for (const def of defs) { used.add(def.name); modes.push(Object.isFrozen(def) ? def : Object.freeze(def)); }
  }
  return { modes, errors };
}
