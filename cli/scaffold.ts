// `cache-proxy mode new <name>`: a third-party mode package that builds and tests offline.
import { mkdir, writeFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { packageRoot } from '../engine/paths.js';

const NAME = /^[a-z][a-z0-9_]{1,30}$/;

export function scaffoldFiles(name: string, root: string): Record<string, string> {
  const pkg = `cache-proxy-mode-${name}`;
  return {
    'package.json': JSON.stringify({
      name: pkg, version: '0.1.0', type: 'module', main: 'dist/src/index.js',
      scripts: {
        build: 'node ./node_modules/cache-proxy/node_modules/typescript/bin/tsc -p .',
        test: 'npm run build && node --test dist/conformance/',
      },
      peerDependencies: { 'cache-proxy': '>=0.1.0' },
      devDependencies: { 'cache-proxy': `file:${root}` },
    }, null, 2) + '\n',
    'tsconfig.json': JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'dist', rootDir: '.', skipLibCheck: true, types: ['node'], typeRoots: ['./node_modules/cache-proxy/node_modules/@types'] },
      include: ['src', 'conformance/*.ts'],
    }, null, 2) + '\n',
    'src/schema.json': JSON.stringify({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: `${name} mode block`,
      type: 'object',
      required: ['upstream'],
      properties: { upstream: { type: 'string', format: 'url', description: 'base URL of the upstream' } },
    }, null, 2) + '\n',
    'src/settings.ts': `// The mode block as hooks read it (ctx.settings): parsed once per instance, after the engine filled in
// the defaults of schema.json.
import { modeSettings } from 'cache-proxy';

export interface Settings { upstream: string }

export const settings = modeSettings((block): Settings => ({ upstream: String(block.upstream).replace(/\\/+$/, '') }));
`,
    'src/index.ts': `// Mode "${name}": an immutable kind and a revalidated kind, one route each. Its keys are in schema.json.
import { defineMode, readModeSchema } from 'cache-proxy';
import { settings } from './settings.js';

export default defineMode({
  name: '${name}',
  contract: 1,
  schema: readModeSchema(import.meta.url),
  settings: settings.parse,
  mount: 'route',
  kinds: {
    artifact: { policy: 'immutable', busy: 'join' },
    index: { policy: 'revalidate', fresh_for: '1m', busy: 'stale' },
  },
  routes: [
    { match: { glob: 'artifacts/**' }, kind: 'artifact' },
    { match: { glob: 'index/**' }, kind: 'index' },
  ],
  upstreams: (block) => [settings.parse(block).upstream],
});
`,
    'conformance/fixtures/basic/instance.yaml': `route: { path: /${name} }\nupstream: \${UPSTREAM}\n`,
    'conformance/fixtures/basic/exchanges.jsonl': [
      JSON.stringify({ method: 'GET', path: '/artifacts/a.bin', status: 200, headers: { 'content-type': 'application/octet-stream' }, body: 'artifact bytes\n' }),
      JSON.stringify({ method: 'GET', path: '/artifacts/missing.bin', status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found\n' }),
    ].join('\n') + '\n',
    'conformance/fixtures/basic/expect.jsonl': [
      JSON.stringify({ request: { path: '/artifacts/a.bin' }, status: 200, x_cache: 'MISS', upstream_counts: { 'GET /artifacts/a.bin': 1 } }),
      JSON.stringify({ request: { path: '/artifacts/a.bin' }, status: 200, x_cache: 'HIT', upstream_counts: { 'GET /artifacts/a.bin': 1 } }),
      JSON.stringify({ request: { path: '/artifacts/missing.bin' }, status: 404 }),
    ].join('\n') + '\n',
    'conformance/run.test.ts': `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { runConformance } from 'cache-proxy/conformance';

const here = dirname(fileURLToPath(import.meta.url));
const pluginDir = join(here, '..', '..');

test('basic scenario: MISS then HIT with one upstream request; 404 passed through', async () => {
  const failures = await runConformance('${name}', join(pluginDir, 'conformance', 'fixtures'), { plugins: [pluginDir] });
  assert.deepEqual(failures, []);
});
`,
    'README.md': `# ${pkg}\n\nA third-party mode for cache-proxy. Plugins run in-process with full trust.\n\n\`\`\`yaml\nplugins: [./${pkg}]\ninstances:\n  - name: ${name}\n    enabled: true\n    ${name}: { route: { path: /${name} }, upstream: "https://upstream.example" }\n\`\`\`\n\n\`npm install && npm test\` builds the mode and replays \`conformance/fixtures/\` against it.\n`,
  };
}

export async function scaffoldMode(name: string, dir: string, force: boolean, builtins: string[]): Promise<number> {
  if (!NAME.test(name)) { process.stderr.write(`mode name "${name}" must match ${NAME}\n`); return 1; }
  if (builtins.includes(name)) { process.stderr.write(`"${name}" is a built-in mode\n`); return 1; }
  const target = resolve(dir, `cache-proxy-mode-${name}`);
  if (await stat(target).then(() => true, () => false)) {
    if (!force) { process.stderr.write(`${target} exists (use --force to overwrite)\n`); return 1; }
    await rm(target, { recursive: true, force: true });
  }
  for (const [rel, text] of Object.entries(scaffoldFiles(name, packageRoot))) {
    await mkdir(join(target, rel, '..'), { recursive: true });
    await writeFile(join(target, rel), text);
  }
  process.stdout.write(`created ${target}\nnext: cd ${target} && npm install && npm test\n`);
  return 0;
}
