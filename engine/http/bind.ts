// Puts an HTTP server on an address: itself when run alone, through the supervisor when run as its
// worker (the supervisor keeps the socket listening across worker restarts and hands connections over).
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { WORKER_ENV, type SupervisorMessage } from '../supervisor.js';

export interface Bound { address: string; close(): Promise<void> }

const supervised = () => process.env[WORKER_ENV] === '1' && typeof process.send === 'function';

/** per address: its server, and connections handed over before the server was set up */
const servers = new Map<string, { server: Server; pending?: Socket[] }>();
let routing = false;
function routeConnections(): void {
  if (routing) return;
  routing = true;
  process.on('message', (m: SupervisorMessage, handle: unknown) => {
    if (m?.cp !== 'conn') return;
    const socket = handle as Socket | undefined;
    if (!socket) return;
    const s = servers.get(m.key);
    if (!s) { socket.destroy(); return; }
    if (s.pending) s.pending.push(socket);
    else s.server.emit('connection', socket);
  });
}

export async function bindServer(server: Server, host: string, port: number): Promise<Bound> {
  if (!supervised()) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve(); });
    });
    const a = server.address();
    const address = typeof a === 'object' && a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : `${host}:${port}`;
    return { address, close: () => new Promise<void>((r) => { server.close(() => r()); server.closeIdleConnections(); }) };
  }
  const key = `${host}:${port}`;
  routeConnections();
  const entry: { server: Server; pending?: Socket[] } = { server, pending: [] };
  servers.set(key, entry);
  const address = await new Promise<string>((resolve, reject) => {
    const onMessage = (m: SupervisorMessage) => {
      if (m?.cp === 'listening' && m.key === key) { process.off('message', onMessage); resolve(m.address); }
      if (m?.cp === 'listen-error' && m.key === key) { process.off('message', onMessage); reject(Object.assign(new Error(m.message), { code: m.code })); }
    };
    process.on('message', onMessage);
    process.send!({ cp: 'listen', key, host, port } satisfies SupervisorMessage);
  }).catch((e: Error) => { servers.delete(key); throw e; });
  // connections handed over are this server's: track them for graceful close
  const open = new Set<Socket>();
  server.on('connection', (s: Socket) => { open.add(s); s.once('close', () => open.delete(s)); });
  server.emit('listening'); // starts the http server's connection bookkeeping (timeouts, closeIdleConnections)
  const early = entry.pending ?? [];
  delete entry.pending;
  for (const s of early) server.emit('connection', s);
  return {
    address,
    close: () => new Promise<void>((resolve) => {
      servers.delete(key);
      if (process.connected) process.send!({ cp: 'unlisten', key } satisfies SupervisorMessage);
      server.close();
      const check = () => {
        server.closeIdleConnections();
        if (open.size === 0) { clearInterval(timer); resolve(); }
      };
      const timer = setInterval(check, 50);
      check();
    }),
  };
}

/** in a worker: report a crash to the supervisor, and die with it if it goes away */
export function installWorkerHooks(onFatal: (err: Error) => void): void {
  if (!supervised()) return;
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  process.on('uncaughtException', (err) => {
    onFatal(err);
    const exit = () => process.exit(70);
    setTimeout(exit, 1000).unref();
    try { process.send!({ cp: 'fatal', err: String(err?.stack ?? err) } satisfies SupervisorMessage, undefined, {}, exit); } catch { exit(); }
  });
}

export function signalReady(log: Extract<SupervisorMessage, { cp: 'ready' }>['log']): void {
  if (supervised()) process.send!({ cp: 'ready', log } satisfies SupervisorMessage);
}
