// cache-proxy command line: serve, validate, mode new, mode list.
import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import type { ModeDefinition } from '../engine/mode.js';
import type { EffectiveConfig } from '../engine/config/types.js';
import { packageRoot } from '../engine/paths.js';

// the engine and the modes load only for the commands that need them: a supervisor needs neither
const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
const modesLib = () => import('../modes/index.js');
const configLib = () => import('../engine/config/load.js');

/** legacy `-config FILE [-validate]` and `-config=FILE` forms */
export function translateLegacy(argv: string[]): string[] {
  const args = argv.slice();
  let config: string | undefined;
  let validate = false;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-config' || (a === '--config' && !['serve', 'validate'].includes(args[0]!))) { config = args[++i]; continue; }
    if (a.startsWith('-config=')) { config = a.slice(8); continue; }
    if (a === '-validate' || a === '--validate') { validate = true; continue; }
    rest.push(a);
  }
  if (config === undefined && !validate) return argv;
  return [validate ? 'validate' : 'serve', ...(config ? ['-c', config] : []), ...rest];
}

function findConfig(explicit?: string): string | undefined {
  if (explicit) return explicit;
  const candidates = [
    process.env.CACHE_PROXY_CONFIG,
    './cache-proxy.yaml',
    join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'cache-proxy', 'config.yaml'),
    '/etc/cache-proxy/config.yaml',
  ];
  return candidates.find((c) => c && existsSync(c));
}

async function load(file: string | undefined, command: 'serve' | 'validate'): Promise<{ config?: EffectiveConfig; errors: string[]; warnings: string[]; modes: ModeDefinition[]; json: unknown }> {
  const { builtinModes } = await modesLib();
  const { loadConfigFile, loadConfigText, formatIssue } = await configLib();
  let modes: ModeDefinition[] = [...builtinModes];
  if (!file) {
    const { embeddedDefaultYaml } = await import('../engine/config/embedded.js');
    const text = await embeddedDefaultYaml(modes);
    const r = loadConfigText(text, { modes, env: process.env });
    return { config: r.config, errors: r.errors.map(formatIssue), warnings: r.warnings.map(formatIssue), modes, json: r };
  }
  if (!existsSync(file)) {
    const message = `no such configuration file (\`cache-proxy ${command}\` without -c ${command === 'serve' ? 'serves' : 'checks'} the built-in default, derived from this machine's client settings)`;
    return { errors: [`${file}: ${message}`], warnings: [], modes, json: { valid: false, errors: [{ file, path: '', message }], warnings: [] } };
  }
  // plugins first: they extend the set of mode keys the document may use
  const pre = await loadConfigFile(file, { env: process.env, modes, pluginsOnly: true } as Parameters<typeof loadConfigFile>[1]);
  const names = pre.config?.plugins ?? [];
  const pluginErrors: string[] = [];
  if (names.length) {
    const { loadPlugins } = await import('../engine/config/plugins.js');
    const p = await loadPlugins(names, dirname(resolve(file)));
    modes = [...modes, ...p.modes];
    pluginErrors.push(...p.errors);
  }
  const r = await loadConfigFile(file, { env: process.env, modes });
  return { config: r.config, errors: [...pluginErrors, ...r.errors.map(formatIssue)], warnings: r.warnings.map(formatIssue), modes, json: r };
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program.name('cache-proxy').description('Caching reverse proxy for package registries and artifact repositories').version(version)
    .exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let code = 0;
  let args: string[] = [];

  program.command('serve').description('run the proxy')
    .option('-c, --config <file>', 'configuration file')
    .option('--offline', 'serve only what is cached')
    .option('--bind <host:port>', 'main listener address')
    .option('--backend <dir>', 'storage directory')
    .option('--print-config', 'print the effective configuration and exit')
    .option('--no-supervisor', 'serve in this process, without the supervising parent that restarts a crashed worker')
    .action(async (o: { config?: string; offline?: boolean; bind?: string; backend?: string; printConfig?: boolean; supervisor?: boolean }) => {
      const { runSupervisor, WORKER_ENV } = await import('../engine/supervisor.js');
      const isWorker = process.env[WORKER_ENV] === '1';
      // the supervisor loads nothing itself: its worker reads the configuration (and reports errors) on every start
      if (o.supervisor !== false && !isWorker && !o.printConfig) {
        const { logger } = await import('../engine/log.js');
        code = await runSupervisor({ argv: args, log: logger({ component: 'supervisor' }) });
        return;
      }
      const r = await load(findConfig(o.config), 'serve');
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      if (!r.config || r.errors.length) { for (const e of r.errors) process.stderr.write(`${e}\n`); code = 1; return; }
      const cfg = r.config;
      if (o.bind) cfg.server.bind = o.bind;
      if (o.backend) cfg.server.backend = o.backend;
      if (o.offline) cfg.storage.offline = true;
      if (o.printConfig) { process.stdout.write((await configLib()).printEffective(cfg)); return; }
      const { runServer } = await import('../engine/app.js');
      const { startupMessage } = await import('./startup.js');
      code = await runServer(cfg, r.modes, (addresses) => process.stdout.write(startupMessage(cfg, r.modes, addresses)));
      // the IPC channel to the supervisor would keep this process alive
      if (isWorker) process.exit(code);
    });

  program.command('validate').description('check a configuration file; exit 0 when valid')
    .option('-c, --config <file>', 'configuration file')
    .option('--json', 'machine-readable result')
    .option('--print', 'print the effective configuration with defaults (secrets redacted)')
    .action(async (o: { config?: string; json?: boolean; print?: boolean }) => {
      const file = findConfig(o.config);
      const r = await load(file, 'validate');
      const valid = !!r.config && r.errors.length === 0;
      if (valid && r.config) {
        const { checkBackendWritable } = await import('../engine/app.js');
        const { localDirOf } = await import('../engine/cache/open-store.js');
        const { isS3Backend } = await import('../engine/cache/s3-location.js');
        const problem = await checkBackendWritable(localDirOf(r.config));
        if (problem) r.errors.push(`${isS3Backend(r.config.server.backend) ? 'storage.s3.local_dir' : 'server.backend'}: ${problem}`);
      }
      const ok = valid && r.errors.length === 0;
      if (o.json) {
        const j = r.json as { errors?: unknown[]; warnings?: unknown[] };
        process.stdout.write(JSON.stringify({ valid: ok, errors: j.errors ?? r.errors, warnings: j.warnings ?? r.warnings }, null, 2) + '\n');
      } else {
        for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
        for (const e of r.errors) process.stderr.write(`${e}\n`);
        if (ok) process.stderr.write(`${file ?? '(built-in default)'}: configuration is valid\n`);
        if (ok && o.print && r.config) process.stdout.write((await configLib()).printEffective(r.config));
      }
      code = ok ? 0 : 1;
    });

  // the cache tools read the same configuration `serve` would (its backend, bind and tokens)
  const toolConfig = async (file?: string): Promise<EffectiveConfig | undefined> => {
    const r = await load(findConfig(file), 'validate');
    if (!r.config || r.errors.length) { for (const e of r.errors) process.stderr.write(`${e}\n`); code = 1; return undefined; }
    return r.config;
  };
  /** an operator tool on the loaded configuration: its exit code, or 1 with the configuration's errors */
  const withConfig = async (file: string | undefined, run: (cfg: EffectiveConfig) => Promise<number>) => {
    const cfg = await toolConfig(file);
    if (cfg) code = await run(cfg);
  };
  const out = (s: string) => process.stdout.write(s);
  const err = (s: string) => process.stderr.write(s);
  program.command('du').description('disk use of the cache per instance and kind (all of the backend, as du -sb counts it)')
    .option('-c, --config <file>', 'configuration file')
    .option('--url <url>', 'the running proxy (default: http://<server.bind>)')
    .option('--offline', 'measure the backend on disk without asking a running proxy')
    .option('--json', 'machine-readable result')
    .action(async (o: { config?: string; url?: string; offline?: boolean; json?: boolean }) => {
      await withConfig(o.config, async (cfg) => await (await import('./tools/du.js')).runDu(cfg, o, out));
    });
  program.command('ls <instance> [glob]').description('stored entries of an instance: stored time, kind, size, key (glob: * any run, ? one character)')
    .option('-c, --config <file>', 'configuration file')
    .option('--json', 'machine-readable result')
    .action(async (inst: string, glob: string | undefined, o: { config?: string; json?: boolean }) => {
      await withConfig(o.config, async (cfg) => await (await import('./tools/ls.js')).runLs(cfg, inst, glob, o, out, err));
    });
  program.command('purge <instance> <glob>').description('remove the entries whose keys match glob (through the running proxy when one answers)')
    .option('-c, --config <file>', 'configuration file')
    .option('--url <url>', 'the running proxy (default: http://<server.bind>)')
    .option('--json', 'machine-readable result')
    .action(async (inst: string, glob: string, o: { config?: string; url?: string; json?: boolean }) => {
      await withConfig(o.config, async (cfg) => await (await import('./tools/purge.js')).runPurge(cfg, inst, glob, o, out, err));
    });

  program.command('warm <files...>').description('fetch every artifact of lockfiles through the running proxy (package-lock.json, pnpm-lock.yaml, yarn.lock, Cargo.lock, go.sum, requirements.txt, poetry.lock, pom.xml)')
    .option('-c, --config <file>', 'configuration file')
    .option('--url <url>', 'the running proxy (default: http://<server.bind>)')
    .option('--check', 'report what is cached and what is missing (HEAD requests; nothing is downloaded)')
    .option('--json', 'machine-readable summary')
    .action(async (files: string[], o: { config?: string; url?: string; check?: boolean; json?: boolean }) => {
      await withConfig(o.config, async (cfg) => await (await import('./tools/warm/warm.js')).runWarm(cfg, files, o, out, err));
    });

  program.command('init [file]').description('write the built-in default configuration (the clients found on this machine) to a file to edit')
    .option('--force', 'overwrite an existing file')
    .option('--stdout', 'print it instead of writing a file')
    .action(async (file: string | undefined, o: { force?: boolean; stdout?: boolean }) => {
      code = await (await import('./init.js')).runInit((await modesLib()).builtinModes, file ?? 'cache-proxy.yaml', o, out, err);
    });

  const mode = program.command('mode').description('mode tools');
  mode.command('new <name>').description('scaffold a third-party mode package')
    .option('--dir <dir>', 'where to create it', '.')
    .option('--force', 'overwrite an existing directory')
    .action(async (name: string, o: { dir: string; force?: boolean }) => {
      const { scaffoldMode } = await import('./scaffold.js');
      code = await scaffoldMode(name, o.dir, !!o.force, (await modesLib()).builtinModes.map((x) => x.name));
    });
  mode.command('list').description('built-in modes, their kinds and derived keys')
    .action(async () => {
      const { builtinModes } = await modesLib();
      const { derivedKindKeys } = await import('../engine/mode.js');
      for (const d of builtinModes) {
        process.stdout.write(`${d.name}: kinds ${Object.keys(d.kinds).join(', ')}; derived keys ${[...derivedKindKeys(d).keys()].join(', ') || '-'}\n`);
      }
    });

  program.command('docs').description('generated documentation').command('config').description('the configuration reference (README)')
    .option('--write', 'update README.md in place')
    .action(async (o: { write?: boolean }) => {
      const { configReference, spliceReference } = await import('./reference.js');
      const { readFileSync, writeFileSync } = await import('node:fs');
      const { packageRoot } = await import('../engine/paths.js');
      const ref = configReference((await modesLib()).builtinModes);
      if (!o.write) { process.stdout.write(ref + '\n'); return; }
      const file = join(packageRoot, 'README.md');
      writeFileSync(file, spliceReference(readFileSync(file, 'utf8'), ref));
    });

  args = translateLegacy(argv);
  if (args.length === 0) { program.outputHelp({ error: true }); return 2; }
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return code;
}

const isMain = process.argv[1] && (process.argv[1].endsWith('cache-proxy.js') || process.argv[1].endsWith('cli/main.js') || process.argv[1].endsWith('cache-proxy'));
if (isMain) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e: Error) => { process.stderr.write(`cache-proxy: ${e.message}\n`); process.exitCode = 3; });
}
