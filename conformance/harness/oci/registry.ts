// The CNCF distribution registry (Debian `docker-registry`) on a free loopback port, with a generated
// config: plain, htpasswd (`htpasswd -Bbn`, bcrypt as distribution requires) or token auth, or as a
// pull-through cache (`proxy.remoteurl`; its remote must already be up, or it panics at start).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../launcher.js';
import { track } from '../cleanup.js';

export type RegistryAuth =
  | { type: 'none' }
  | { type: 'htpasswd'; username: string; password: string }
  | { type: 'token'; realm: string; service: string; issuer: string; certFile: string };

export interface Registry {
  url: string; host: string; port: number; dir: string; pid: number;
  logs(): string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startRegistry(o: { dir: string; auth?: RegistryAuth; remoteurl?: string; port?: number }): Promise<Registry> {
  mkdirSync(join(o.dir, 'storage'), { recursive: true });
  const port = o.port ?? await freePort();
  const auth = o.auth ?? { type: 'none' };
  const lines = [
    'version: 0.1',
    'log: { level: error, accesslog: { disabled: true } }',
    `storage: { filesystem: { rootdirectory: ${join(o.dir, 'storage')} }, delete: { enabled: true }, cache: { blobdescriptor: inmemory } }`,
    `http: { addr: 127.0.0.1:${port} }`,
  ];
  if (auth.type === 'htpasswd') {
    const file = join(o.dir, 'htpasswd');
    writeFileSync(file, execFileSync('htpasswd', ['-Bbn', auth.username, auth.password]));
    lines.push(`auth: { htpasswd: { realm: fixture, path: ${file} } }`);
  } else if (auth.type === 'token') {
    lines.push(`auth: { token: { realm: "${auth.realm}", service: ${auth.service}, issuer: ${auth.issuer}, rootcertbundle: ${auth.certFile} } }`);
  }
  if (o.remoteurl) lines.push(`proxy: { remoteurl: "${o.remoteurl}" }`);
  const config = join(o.dir, 'config.yml');
  writeFileSync(config, lines.join('\n') + '\n');
  let child: ChildProcess | undefined;
  let log = '';
  const reg: Registry = {
    url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, port, dir: o.dir,
    get pid() { return child?.pid ?? 0; },
    logs: () => log,
    start: async () => {
      if (child && child.exitCode === null) return;
      const c = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      c.stdout!.on('data', (d) => { log += d; });
      c.stderr!.on('data', (d) => { log += d; });
      const deadline = Date.now() + 15_000;
      for (;;) {
        if (c.exitCode !== null) throw new Error(`docker-registry exited with ${c.exitCode}:\n${log}`);
        if (await fetch(`${reg.url}/v2/`).then(() => true, () => false)) return;
        if (Date.now() > deadline) { c.kill('SIGKILL'); throw new Error(`docker-registry not ready:\n${log}`); }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
  await reg.start();
  track(() => reg.stop(), () => { if (child && child.exitCode === null) child.kill('SIGKILL'); });
  return reg;
}
