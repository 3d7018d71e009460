// A git smart-HTTP upstream for tests: `git http-backend` run as CGI per request (protocol v0 and v2, as a
// real server answers), counting every request, with optional basic auth, a delay before upload-pack
// answers, and a stop.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { track } from './cleanup.js';

export interface GitUpstreamRequest { method: string; path: string; service: string; protocol: string }
export interface GitUpstream {
  url: string; port: number;
  requests: GitUpstreamRequest[];
  /** TCP connections accepted so far */
  connections(): number;
  /** require basic auth with these credentials (null: none) */
  auth(user: string | null, password?: string): void;
  /** hold POSTed upload-pack exchanges that ask for objects (v2 `command=fetch`, v0 wants) this long (0: none) */
  delay(ms: number): void;
  /** hold those exchanges until the function returned is called (a sync kept under way for as long as a test needs) */
  hold(): () => void;
  stop(): Promise<void>;
}

export async function startGitUpstream(projectRoot: string): Promise<GitUpstream> {
  const requests: GitUpstreamRequest[] = [];
  let expected: string | null = null, delayMs = 0;
  let gate: Promise<void> | null = null;
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((q, s) => {
    const u = new URL(q.url ?? '/', 'http://x');
    requests.push({ method: q.method ?? '', path: u.pathname, service: u.searchParams.get('service') ?? '', protocol: String(q.headers['git-protocol'] ?? '') });
    if (expected && q.headers.authorization !== expected) {
      s.writeHead(401, { 'www-authenticate': 'Basic realm="fixture"', 'content-type': 'text/plain' });
      s.end('authentication required\n');
      return;
    }
    const env = {
      ...process.env, GIT_PROJECT_ROOT: projectRoot, GIT_HTTP_EXPORT_ALL: '1', REQUEST_METHOD: q.method ?? 'GET', PATH_INFO: decodeURIComponent(u.pathname),
      QUERY_STRING: u.search.slice(1), CONTENT_TYPE: String(q.headers['content-type'] ?? ''), GIT_PROTOCOL: String(q.headers['git-protocol'] ?? ''),
      HTTP_CONTENT_ENCODING: String(q.headers['content-encoding'] ?? ''), REMOTE_ADDR: '127.0.0.1', GIT_CONFIG_NOSYSTEM: '1',
      ...(q.headers['content-length'] ? { CONTENT_LENGTH: String(q.headers['content-length']) } : {}),
    };
    const run = (body?: Buffer) => {
      const c = spawn('git', ['http-backend'], { env });
      if (body) c.stdin.end(body); else q.pipe(c.stdin);
      c.stdin.on('error', () => undefined);
      s.on('close', () => { if (c.exitCode === null) c.kill('SIGKILL'); });
      let head = Buffer.alloc(0), started = false;
      c.stdout.on('data', (d: Buffer) => {
        if (started) { s.write(d); return; }
        head = Buffer.concat([head, d]);
        const i = head.indexOf('\r\n\r\n');
        if (i < 0) return;
        started = true;
        let status = 200;
        const h: Record<string, string> = {};
        for (const line of head.subarray(0, i).toString().split('\r\n')) {
          const k = line.slice(0, line.indexOf(':')), v = line.slice(line.indexOf(':') + 1).trim();
          if (/^status$/i.test(k)) status = parseInt(v, 10); else h[k] = v;
        }
        s.writeHead(status, h);
        s.write(head.subarray(i + 4));
      });
      c.stdout.on('end', () => s.end());
      c.stderr.resume();
    };
    if (q.method !== 'POST' || (delayMs <= 0 && !gate)) { run(); return; }
    const parts: Buffer[] = [];
    q.on('data', (d: Buffer) => parts.push(d));
    q.on('end', () => {
      const body = Buffer.concat(parts);
      const text = (q.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('latin1');
      const asks = text.includes('command=fetch') || /^[0-9a-f]{4}want /.test(text);
      if (!asks) { run(body); return; }
      void (gate ?? Promise.resolve()).then(() => setTimeout(() => run(body), delayMs));
    });
  });
  server.on('connection', (c) => { accepted++; sockets.add(c); c.on('close', () => sockets.delete(c)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const c of sockets) c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  track(stop);
  return {
    url: `http://127.0.0.1:${port}`, port, requests, connections: () => accepted,
    auth: (user, password) => { expected = user === null ? null : `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`; },
    delay: (ms) => { delayMs = ms; },
    hold: () => {
      let release!: () => void;
      const held = new Promise<void>((r) => { release = r; });
      gate = held;
      return () => { if (gate === held) gate = null; release(); };
    },
    stop,
  };
}
