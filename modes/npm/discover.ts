// Embedded default (no configuration file): the registry this machine's npm is configured for, from npm's whole
// config chain. npm itself answers when it is on PATH (`npm config get registry` reads no network); without
// it the chain is read from the files: env `npm_config_registry`, project `.npmrc`, user config, global
// config, npm's builtin `npmrc`.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface NpmDiscoverOptions {
  env?: NodeJS.ProcessEnv;
  /** where npm looks for the project config (the directory `serve` runs in) */
  cwd?: string;
  /** the npm executable; null reads the config files only */
  npm?: string | null;
}

export async function discoverNpm(o: NpmDiscoverOptions = {}): Promise<{ name: string; block: Record<string, unknown> }[]> {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const registry = (o.npm === null ? undefined : await askNpm(o.npm ?? 'npm', env, cwd)) ?? await registryFromFiles(env, cwd);
  if (!registry || !/^https?:\/\/[^/]/.test(registry)) return [];
  return [{ name: 'npm', block: { route: { path: '/npm' }, upstream: registry.replace(/\/+$/, '') } }];
}

function askNpm(npm: string, env: NodeJS.ProcessEnv, cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(npm, ['config', 'get', 'registry'], { env, cwd, timeout: 20_000, windowsHide: true }, (err, stdout) => {
      const last = String(stdout).trim().split('\n').pop()?.trim();
      resolve(err || !last ? undefined : last);
    });
  });
}

/** the config a key of npm's environment form (`npm_config_x`, any case) names */
function envConfig(env: NodeJS.ProcessEnv, key: string): string | undefined {
  const want = `npm_config_${key}`;
  for (const [k, v] of Object.entries(env)) if (k.toLowerCase() === want && v) return v;
  return undefined;
}

/** `registry = value` of one npmrc text (`;`/`#` comments, quotes, `${VAR}` expanded) */
export function registryOfNpmrc(text: string, env: NodeJS.ProcessEnv): string | undefined {
  let found: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*registry\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m || /^\s*[;#]/.test(raw)) continue;
    const v = m[1]!.replace(/^(["'])(.*)\1$/, '$2').replace(/\$\{([^}]+)\}/g, (_, n: string) => env[n] ?? '');
    if (v) found = v;
  }
  return found;
}

async function registryFromFiles(env: NodeJS.ProcessEnv, cwd: string): Promise<string | undefined> {
  const fromEnv = envConfig(env, 'registry');
  if (fromEnv) return fromEnv;
  const prefix = envConfig(env, 'prefix') ?? dirname(dirname(process.execPath));
  const files = [
    join(cwd, '.npmrc'),
    envConfig(env, 'userconfig') ?? join(env.HOME ?? homedir(), '.npmrc'),
    envConfig(env, 'globalconfig') ?? join(prefix, 'etc', 'npmrc'),
    join(prefix, 'lib', 'node_modules', 'npm', 'npmrc'),
  ];
  for (const f of files) {
    const r = registryOfNpmrc(await readFile(f, 'utf8').catch(() => ''), env);
    if (r) return r;
  }
  return undefined;
}
