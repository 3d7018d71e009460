// The request path runs one way: no engine file imports, directly or through others, a file that imports it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

test('no import cycle among engine/ files (type-only imports included)', () => {
  const files = sources(join(root, 'engine'));
  const known = new Set(files);
  const graph = new Map(files.map((f) => {
    const text = readFileSync(f, 'utf8');
    const deps = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g)].map((m) => resolve(dirname(f), m[1]!.replace(/\.js$/, '.ts')));
    return [f, deps.filter((d) => known.has(d))];
  }));
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (f: string, stack: string[]) => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f)!) {
      if (state.get(d) === 'open') cycles.push(stack.slice(stack.indexOf(d)).map((x) => relative(root, x)).join(' -> '));
      else if (!state.get(d)) visit(d, stack);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.get(f)) visit(f, []);
  assert.ok(files.length > 40, 'the engine sources were found');
  assert.equal(cycles, []);
});

test.run();
