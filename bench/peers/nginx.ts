// nginx proxy_cache on loopback in front of an origin, with a minimal config in a temp dir.
// tcp_nopush stays off: with it, cache hits of 64 KiB stall on delayed ACKs (2.9k req/s instead of 13k here).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../conformance/index.js';

export function ensureDebianPackage(cmd: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'ignore', env });
  if (r.status !== 0) throw new Error(`cannot install ${pkg} (needed for ${cmd})`);
}

export interface Peer { url: string; stop(): Promise<void>; /** master and worker pids */ pids(): number[] }

/** `location`: extra directives of the proxied location (e.g. a sub_filter that puts links on nginx) */
export async function startNginxCache(origin: string, o: { lock?: boolean; location?: string } = {}): Promise<Peer> {
  ensureDebianPackage('nginx', 'nginx');
  const d = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
  mkdirSync(join(d, 'tmp')); mkdirSync(join(d, 'cache'));
  const port = await freePort();
  writeFileSync(join(d, 'nginx.conf'), `user root; daemon off; worker_processes 2; pid ${d}/nginx.pid; error_log ${d}/err.log;
events { worker_connections 4096; }
http { access_log off; proxy_temp_path ${d}/tmp; sendfile on; tcp_nopush off; keepalive_requests 100000;
  proxy_cache_path ${d}/cache levels=1:2 keys_zone=c:50m max_size=20g inactive=60m use_temp_path=off;
  server { listen 127.0.0.1:${port}; location / { proxy_pass ${origin}; proxy_http_version 1.1; proxy_set_header Connection "";
    proxy_cache c; proxy_cache_valid 200 10m; proxy_buffering on; ${o.lock ? 'proxy_cache_lock on; proxy_cache_lock_timeout 600s; proxy_cache_lock_age 600s;' : ''}
    add_header X-Cache $upstream_cache_status; ${o.location ?? ''} } } }
`);
  const p = spawn('nginx', ['-c', join(d, 'nginx.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pids: () => [p.pid!, ...(spawnSync('pgrep', ['-P', String(p.pid)]).stdout.toString().split('\n').filter(Boolean).map(Number))],
    stop: async () => {
      p.kill('SIGTERM');
      await new Promise((r) => (p.exitCode !== null ? r(undefined) : p.once('exit', r)));
      if (existsSync(d)) rmSync(d, { recursive: true, force: true });
    },
  };
}
