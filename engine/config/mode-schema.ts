// A mode's JSON Schema lives in the mode's folder, beside the module that defines the mode.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JSONSchema } from '../mode.js';

/** the nearest folder at or above `dir` holding a package.json */
function packageRootOf(dir: string): string {
  let d = dir;
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
}

/**
 * Reads `file` (default schema.json) from the folder of the module at `moduleUrl` (pass `import.meta.url`).
 * tsc copies no .json files into its output folder, so a module compiled to `<package>/<outDir>/x/` reads
 * `<package>/x/<file>`, the source tree's copy.
 */
export function readModeSchema(moduleUrl: string, file = 'schema.json'): JSONSchema {
  const dir = dirname(fileURLToPath(moduleUrl));
  const root = packageRootOf(dir);
  const [, ...inSource] = relative(root, dir).split(sep);
  const path = [join(dir, file), join(root, ...inSource, file)].find((p) => existsSync(p));
  if (!path) throw new Error(`mode schema ${file} not found beside ${fileURLToPath(moduleUrl)}`);
  return JSON.parse(readFileSync(path, 'utf8')) as JSONSchema;
}
