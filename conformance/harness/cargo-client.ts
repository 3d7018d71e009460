// Real cargo run hermetically: a private CARGO_HOME per run, an app whose .cargo/config.toml names the
// registry, no retries. A missing cargo is a failure under CI.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from './launcher.js';
import { run, type RunResult } from './npm-clients.js';
import { startProxy, type ProxyHandle } from './launcher.js';
import { singleInstanceConfig } from './single-instance.js';

export function cargoAvailable(): boolean {
  try { execFileSync('cargo', ['--version'], { stdio: 'ignore' }); return true; } catch {
    if (process.env.CI === 'true') throw new Error("cargo is missing: CI installs it (Debian package `cargo-web`: bookworm's `cargo` 0.66 predates sparse registries)");
    return false;
  }
}

/** the dependencies of the fixture app: every fixture crate, fx_demo through fx_app_dep */
export const APP_DEPS = ['fx_app_dep = "0.1"', 'a = "0.1"', 'ab = "0.1"', 'abc = "0.1"', 'Fx_Mixed = "0.1"'];

/** a library crate in a temp dir with these dependency lines and this .cargo/config.toml */
export function cargoApp(config: string, deps: string[] = APP_DEPS, name = 'fx_app'): string {
  const dir = join(tmpDir('cargo-app-'), name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, '.cargo'));
  writeFileSync(join(dir, 'Cargo.toml'), `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\ndescription = "fixture app"\nlicense = "MIT"\n\n[dependencies]\n${deps.join('\n')}\n`);
  writeFileSync(join(dir, 'src', 'lib.rs'), '');
  writeFileSync(join(dir, '.cargo', 'config.toml'), config);
  return dir;
}

/** crates-io replaced by a sparse registry */
export const replaceCratesIo = (sparse: string) => `[source.crates-io]\nreplace-with = "cache"\n[source.cache]\nregistry = "${sparse}"\n`;
/** a named registry `cache` (no replacement) */
export const namedRegistry = (sparse: string, token = false) => `[registries.cache]\nindex = "${sparse}"\n${token ? 'credential-provider = "cargo:token"\n' : ''}`;

export function cargo(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const home = tmpDir('cargo-home-');
  const e: NodeJS.ProcessEnv = { ...process.env, CARGO_HOME: home, CARGO_NET_RETRY: '0', CARGO_TERM_COLOR: 'never', CARGO_HTTP_TIMEOUT: '30', ...env };
  delete e.CARGO_NET_OFFLINE;
  for (const k of Object.keys(e)) if (/^CARGO_REGISTRIES_|^CARGO_REGISTRY_/.test(k) && !(k in env)) delete e[k];
  return run('cargo', args, { cwd, env: e, timeoutMs: 180_000 });
}

/** name@version → checksum of the registry packages in a Cargo.lock */
export function lockChecksums(app: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const block of readFileSync(join(app, 'Cargo.lock'), 'utf8').split('[[package]]').slice(1)) {
    const get = (k: string) => new RegExp(`^${k} = "([^"]*)"`, 'm').exec(block)?.[1];
    const sum = get('checksum');
    if (sum) out.set(`${get('name')}@${get('version')}`, sum);
  }
  return out;
}

/** one cargo instance at /cargo in front of `upstream`, with extra lines in its block (6-space indent) */
export async function startCargoProxy(upstream: string, block = '', instance = ''): Promise<{ proxy: ProxyHandle; H: string }> {
  const proxy = await startProxy({ config: singleInstanceConfig({ mode: 'cargo', instance, block: `      upstream: "sparse+${upstream}/"\n${block}` }) });
  return { proxy, H: `${proxy.url}/cargo` };
}

export { metricValue } from './single-instance.js';
