// The floor of any Node.js server on this machine: `node:http` answering from memory with the same
// headers the proxy sends, and no caching logic at all. What the proxy cannot beat while it runs on Node.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort } from '../../conformance/index.js';
import type { Peer } from './nginx.js';

const SERVER = `
const http = require('node:http'), { randomUUID } = require('node:crypto');
const bodies = JSON.parse(process.env.FLOOR_BODIES);
for (const b of Object.values(bodies)) b.body = Buffer.from(b.body, 'base64');
http.createServer((q, s) => {
  const b = bodies[q.url];
  if (!b) { s.writeHead(404).end(); return; }
  s.writeHead(200, { ...b.headers, 'x-request-id': randomUUID(), age: '0' });
  s.end(q.method === 'HEAD' ? undefined : b.body);
}).listen(Number(process.env.FLOOR_PORT), '127.0.0.1');
`;

/** serve `bodies` (path → body and the headers to send with it) the way a bare Node server would */
export async function startNodeFloor(bodies: Record<string, { body: Buffer; headers: Record<string, string> }>): Promise<Peer> {
  const port = await freePort();
  const wire = Object.fromEntries(Object.entries(bodies).map(([p, b]) => [p, { headers: b.headers, body: b.body.toString('base64') }]));
  return runScript(SERVER, port, { FLOOR_BODIES: JSON.stringify(wire) });
}

/** a Node process running `script` on `port`, once it answers */
async function runScript(script: string, port: number, env: Record<string, string>): Promise<Peer> {
  const p = spawn(process.execPath, ['-e', script], { env: { ...process.env, FLOOR_PORT: String(port), ...env }, stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pids: () => [p.pid!],
    stop: async () => { p.kill('SIGTERM'); await new Promise((r) => (p.exitCode !== null ? r(undefined) : p.once('exit', r))); },
  };
}

const PROXY = `
const http = require('node:http'), { Pool } = require(process.env.FLOOR_UNDICI);
const pool = new Pool(process.env.FLOOR_UPSTREAM, { connections: 64 });
http.createServer(async (q, s) => {
  try {
    const r = await pool.request({ path: q.url, method: q.method });
    const h = {};
    for (const k of ['content-type', 'content-length', 'etag', 'last-modified']) if (r.headers[k] !== undefined) h[k] = r.headers[k];
    s.writeHead(r.statusCode, h);
    r.body.on('error', () => s.destroy()).pipe(s);
  } catch { s.destroy(); }
}).listen(Number(process.env.FLOOR_PORT), '127.0.0.1');
`;

/** the floor of a Node.js proxy here: node:http in front of an undici keep-alive pool, every request passed through (no cache, no disk) */
export async function startNodeProxyFloor(upstream: string): Promise<Peer> {
  const port = await freePort();
  return runScript(PROXY, port, { FLOOR_UPSTREAM: upstream, FLOOR_UNDICI: createRequire(import.meta.url).resolve('undici') });
}
