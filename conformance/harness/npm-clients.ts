// Real npm clients (npm, pnpm, yarn classic, yarn berry) run hermetically: HOME, user and global
// config in a temp dir, caches and stores where the test says. A missing client is a failure under CI.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tmpDir } from './launcher.js';
import { FIXTURE_DIR } from './npm-registry.js';

export interface RunResult { code: number; stdout: string; stderr: string; ms: number }

/** the script a devDependency's package.json names as its `bin` (so a version bump cannot move it silently) */
function binOf(pkg: string, name: string): string {
  const dir = join(repoRoot, 'node_modules', pkg);
  try {
    const bin = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> }).bin;
    return join(dir, typeof bin === 'string' ? bin : bin?.[name] ?? `bin/${name}.js`);
  } catch {
    return join(dir, 'bin', `${name}.js`);
  }
}

export const CLIENTS = {
  pnpm: binOf('pnpm', 'pnpm'),
  yarn: binOf('yarn', 'yarn'),
  berry: binOf('@yarnpkg/cli-dist', 'yarn'),
};

export function clientAvailable(client: keyof typeof CLIENTS): boolean {
  const ok = existsSync(CLIENTS[client]);
  if (!ok && process.env.CI === 'true') throw new Error(`${client} is missing (${CLIENTS[client]}): run npm ci`);
  return ok;
}

/** a private HOME with empty npm user and global configs */
export function clientHome(): { home: string; env: NodeJS.ProcessEnv } {
  const home = tmpDir('npm-home-');
  writeFileSync(join(home, '.npmrc'), '');
  writeFileSync(join(home, 'global-npmrc'), '');
  const env: NodeJS.ProcessEnv = {
    ...process.env, HOME: home, npm_config_userconfig: join(home, '.npmrc'), npm_config_globalconfig: join(home, 'global-npmrc'),
    npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false', YARN_ENABLE_TELEMETRY: '0', COREPACK_ENABLE_STRICT: '0',
  };
  for (const k of Object.keys(env)) if (/^(npm_config_registry|NPM_CONFIG_REGISTRY|YARN_REGISTRY)$/.test(k)) delete env[k];
  return { home, env };
}

/** a copy of the fixture app in a fresh temp dir */
export function appCopy(): string {
  const d = join(tmpDir('npm-app-'), 'app');
  cpSync(join(FIXTURE_DIR, 'app'), d, { recursive: true });
  return d;
}

export function run(cmd: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  const t0 = performance.now();
  const [file, argv] = cmd.endsWith('.js') || cmd.endsWith('.mjs') ? [process.execPath, [cmd, ...args]] : [cmd, args];
  return new Promise((resolve) => {
    execFile(file, argv, { cwd: o.cwd, env: o.env, timeout: o.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: performance.now() - t0 });
    });
  });
}

/** npm with the flags every test wants: the registry, a cache dir, full lockfile URLs, no retries */
export function npm(args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; registry: string; cache: string; timeoutMs?: number }): Promise<RunResult> {
  return run('npm', [...args, '--no-audit', '--no-fund', '--registry', `${o.registry}/`, '--cache', o.cache, '--omit-lockfile-registry-resolved=false', '--fetch-retries=0', '--loglevel=error'], o);
}
