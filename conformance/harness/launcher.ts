// Starts the real `cache-proxy serve` on free loopback ports with a generated config.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { packageRoot } from '../../engine/paths.js';
import { track } from './cleanup.js';

export const repoRoot = packageRoot;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export function tmpDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `cp-${prefix}`));
  track(() => rmSync(d, { recursive: true, force: true }), () => rmSync(d, { recursive: true, force: true }));
  return d;
}

export interface ProxyHandle {
  url: string; port: number; backend: string; configFile: string;
  /** the process that serves: the supervisor's worker (or the process itself with --no-supervisor) */
  pid: number;
  /** the process started: the supervisor */
  supervisorPid: number;
  logs(): string;
  stop(signal?: NodeJS.Signals): Promise<number>;
  kill(): void;
  restart(o?: { env?: NodeJS.ProcessEnv; args?: string[] }): Promise<void>;
}

function childrenOf(pid: number): number[] {
  try { return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number); } catch { return []; }
}

export interface ProxyOptions { config: string | Record<string, unknown>; /** the port of ${PORT} (default: a free one) */ port?: number; env?: NodeJS.ProcessEnv; args?: string[]; nodeArgs?: string[]; readyTimeoutMs?: number; /** server.status.token of the config, for the readiness probe */ statusToken?: string }

export async function startProxy(o: ProxyOptions): Promise<ProxyHandle> {
  const dir = tmpDir('proxy-');
  const backend = join(dir, 'backend');
  mkdirSync(backend, { recursive: true });
  let port = 0;
  const configFile = join(dir, 'cache-proxy.yaml');
  // a free port can be taken by another process before the proxy binds it: then the config is written again
  const writeConfig = async () => {
    port = o.port ?? await freePort();
    let text = typeof o.config === 'string' ? o.config : stringify(o.config);
    text = text.replace(/\$\{PORT\}/g, String(port)).replace(/\$\{BACKEND\}/g, backend);
    const ports = [...text.matchAll(/\$\{PORT(\d+)\}/g)].map((x) => x[1]!);
    for (const n of new Set(ports)) text = text.split(`\${PORT${n}}`).join(String(await freePort()));
    writeFileSync(configFile, text);
  };
  await writeConfig();
  let child: ChildProcess | undefined;
  let log = '';
  let exited: Promise<number> = Promise.resolve(0);

  // a SIGKILL of the proxy takes its worker with it, as a kill -9 of the whole service would
  let killedWorkers: number[] = [];
  const killTree = () => {
    if (!child) return;
    killedWorkers = childrenOf(child.pid ?? 0);
    child.kill('SIGKILL');
    for (const w of killedWorkers) { try { process.kill(w, 'SIGKILL'); } catch { /* gone */ } }
  };
  const launch = async (extra: { env?: NodeJS.ProcessEnv; args?: string[] } = {}) => {
    for (let i = 0; i < 500 && killedWorkers.some((w) => { try { process.kill(w, 0); return true; } catch { return false; } }); i++) await new Promise((r) => setTimeout(r, 10));
    killedWorkers = [];
    const c = spawn(process.execPath, [...(o.nodeArgs ?? []), join(repoRoot, 'bin/cache-proxy.js'), 'serve', '-c', configFile, ...(o.args ?? []), ...(extra.args ?? [])], {
      env: { ...process.env, ...(o.env ?? {}), ...(extra.env ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.stdout!.on('data', (d) => { log += d; });
    c.stderr!.on('data', (d) => { log += d; });
    exited = new Promise((r) => c.on('exit', (code, sig) => r(code ?? (sig ? 128 : 0))));
    const deadline = Date.now() + (o.readyTimeoutMs ?? 120_000); // a start takes about a second; a loaded machine can make it many
    for (;;) {
      if (c.exitCode !== null) throw new Error(`cache-proxy exited with ${c.exitCode}:\n${log}`);
      const ok = await fetch(`http://127.0.0.1:${port}/-/status/summary`, { headers: o.statusToken ? { authorization: `Bearer ${o.statusToken}` } : {} }).then((r) => r.status === 200, () => false);
      if (ok) return;
      if (Date.now() > deadline) { c.kill('SIGKILL'); throw new Error(`cache-proxy not ready in time:\n${log}`); }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  for (let attempt = 1; ; attempt++) {
    try { await launch(); break; } catch (e) {
      const taken = o.port === undefined && /EADDRINUSE/.test((e as Error).message);
      if (!taken || attempt >= 5) throw e;
      log = '';
      await writeConfig();
    }
  }
  const handle: ProxyHandle = {
    url: `http://127.0.0.1:${port}`, port, backend, configFile,
    get pid() { const p = child?.pid ?? 0; return childrenOf(p)[0] ?? p; },
    get supervisorPid() { return child?.pid ?? 0; },
    logs: () => log,
    stop: async (signal = 'SIGTERM') => {
      if (!child || child.exitCode !== null || child.signalCode) return exited;
      if (signal === 'SIGKILL') killTree(); else child.kill(signal);
      const t = setTimeout(() => child?.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    kill: () => { killTree(); },
    restart: async (extra) => { await handle.stop(); await exited; await launch(extra); },
  };
  track(() => { void handle.stop(); }, () => { if (child && child.exitCode === null) killTree(); });
  return handle;
}
