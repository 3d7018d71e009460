// Real forward proxies from Debian for upstream-proxy tests: tinyproxy (HTTP) and microsocks (SOCKS5), each
// in the foreground on a free loopback port, with the log that shows what went through it. A missing
// binary is a skip locally and a failure under CI=true.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort, tmpDir } from './launcher.js';
import { track } from './cleanup.js';

export interface ForwardProxy { url: string; port: number; log(): string; stop(): Promise<void> }

/** null when the command runs here; else why not (an error under CI) */
export function missingTool(cmd: string, pkg: string): string | null {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0) return null;
  const why = `${cmd} is not installed (Debian package ${pkg})`;
  if (process.env.CI === 'true') throw new Error(`${why}: CI installs it`);
  return why;
}

async function listening(port: number, child: ChildProcess, out: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`proxy exited with ${child.exitCode}: ${out()}`);
    const up = await new Promise<boolean>((r) => { const s = connect(port, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`proxy not listening on ${port}: ${out()}`);
}

function supervise(child: ChildProcess): () => Promise<void> {
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  track(stop, () => { if (child.exitCode === null) child.kill('SIGKILL'); });
  return stop;
}

export async function startTinyproxy(): Promise<ForwardProxy> {
  const dir = tmpDir('tinyproxy-');
  const port = await freePort();
  const logFile = join(dir, 'tinyproxy.log');
  writeFileSync(join(dir, 'tinyproxy.conf'), `Port ${port}\nListen 127.0.0.1\nTimeout 120\nLogFile "${logFile}"\nLogLevel Connect\nPidFile "${join(dir, 'tinyproxy.pid')}"\nMaxClients 64\nAllow 127.0.0.1\nDisableViaHeader Yes\n`);
  writeFileSync(logFile, '');
  let out = '';
  const child = spawn('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const stop = supervise(child);
  await listening(port, child, () => out);
  return { url: `http://127.0.0.1:${port}`, port, log: () => readFileSync(logFile, 'utf8'), stop };
}

export async function startMicrosocks(): Promise<ForwardProxy> {
  const port = await freePort();
  let out = '';
  const child = spawn('microsocks', ['-i', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const stop = supervise(child);
  await listening(port, child, () => out);
  return { url: `socks5://127.0.0.1:${port}`, port, log: () => out, stop };
}
