// `cache-proxy serve` runs the engine in a worker process under this supervisor. The supervisor owns
// the listening sockets for the whole run and hands each accepted connection to the current worker;
// while a dead worker is being replaced, new connections wait in its queue instead of being refused.
// (node:cluster closes a listening socket when its last worker exits, hence the hand-over here.)
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from './mode.js';
import { packageRoot } from './paths.js';
import { configureLog } from './log.js';

/** set in the worker's environment: the worker asks its supervisor for its listening sockets */
export const WORKER_ENV = 'CACHE_PROXY_WORKER';
/** restarts so far, exported by the worker as cache_proxy_worker_restarts_total */
export const RESTARTS_ENV = 'CACHE_PROXY_WORKER_RESTARTS';

/** messages between supervisor and worker */
export type SupervisorMessage =
  | { cp: 'listen'; key: string; host: string; port: number }
  | { cp: 'listening'; key: string; address: string }
  | { cp: 'listen-error'; key: string; message: string; code?: string }
  | { cp: 'conn'; key: string }
  | { cp: 'unlisten'; key: string }
  | { cp: 'ready'; log?: { level: 'error' | 'warn' | 'info' | 'debug'; format: 'json' | 'text'; secrets?: string[] } }
  | { cp: 'fatal'; err: string };

const MAX_QUEUED = 1024;
const QUEUE_WAIT_MS = 60_000;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 15_000;
/** a worker that served this long resets the backoff */
const STABLE_MS = 30_000;

interface Bound { server: Server; address: string; attached: boolean; queue: { socket: Socket; since: number }[] }

export interface SupervisorOptions { argv: string[]; log: Logger; env?: NodeJS.ProcessEnv }

export async function runSupervisor(o: SupervisorOptions): Promise<number> {
  const { log } = o;
  const bound = new Map<string, Bound>();
  let worker: ChildProcess | undefined;
  let restarts = 0;
  let consecutive = 0;
  let everReady = false;
  let stopping = false;
  let lastFatal: string | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let finish!: (code: number) => void;
  const done = new Promise<number>((r) => { finish = r; });

  const handOver = (key: string, b: Bound) => {
    while (b.attached && worker?.connected && b.queue.length) {
      const { socket } = b.queue.shift()!;
      if (socket.destroyed) continue;
      send(key, b, socket);
    }
  };
  const send = (key: string, b: Bound, socket: Socket) => {
    const w = worker;
    if (!w?.connected || !b.attached) { enqueue(b, socket); return; }
    try {
      w.send({ cp: 'conn', key } satisfies SupervisorMessage, socket, (err) => { if (err && !socket.destroyed) enqueue(b, socket); });
    } catch { enqueue(b, socket); }
  };
  const enqueue = (b: Bound, socket: Socket) => {
    if (b.queue.length >= MAX_QUEUED) { socket.destroy(); return; }
    b.queue.push({ socket, since: Date.now() });
  };
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const b of bound.values()) b.queue = b.queue.filter((q) => (now - q.since < QUEUE_WAIT_MS && !q.socket.destroyed) || (q.socket.destroy(), false));
  }, 5_000);
  sweep.unref();

  const onListen = (w: ChildProcess, m: Extract<SupervisorMessage, { cp: 'listen' }>) => {
    const reply = (r: SupervisorMessage) => { if (w.connected) w.send(r); };
    const existing = bound.get(m.key);
    if (existing) {
      existing.attached = true;
      reply({ cp: 'listening', key: m.key, address: existing.address });
      handOver(m.key, existing);
      return;
    }
    const server = createServer({ pauseOnConnect: true });
    server.once('error', (e: NodeJS.ErrnoException) => reply({ cp: 'listen-error', key: m.key, message: e.message, code: e.code }));
    server.listen(m.port, m.host, () => {
      const a = server.address();
      const address = typeof a === 'object' && a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : `${m.host}:${m.port}`;
      const b: Bound = { server, address, attached: true, queue: [] };
      bound.set(m.key, b);
      server.on('connection', (socket: Socket) => send(m.key, b, socket));
      server.on('error', (e) => log.error('listener error', { address, err: e.message }));
      reply({ cp: 'listening', key: m.key, address });
    });
  };

  const start = () => {
    restartTimer = undefined;
    const startedAt = Date.now();
    let ready = false;
    const w = fork(join(packageRoot, 'bin/cache-proxy.js'), o.argv, {
      env: { ...(o.env ?? process.env), [WORKER_ENV]: '1', [RESTARTS_ENV]: String(restarts) },
      stdio: 'inherit',
    });
    worker = w;
    lastFatal = undefined;
    w.on('message', (m: SupervisorMessage) => {
      if (m?.cp === 'listen') onListen(w, m);
      else if (m?.cp === 'unlisten') { const b = bound.get(m.key); if (b) b.attached = false; }
      else if (m?.cp === 'ready') { ready = true; everReady = true; if (m.log) configureLog(m.log); }
      else if (m?.cp === 'fatal') lastFatal = m.err;
    });
    w.on('exit', (code, signal) => {
      if (worker === w) worker = undefined;
      for (const b of bound.values()) b.attached = false;
      if (stopping) { finish(code ?? 0); return; }
      // a worker that never came up (bad configuration, address in use) would only fail again
      // (it said why on stderr: configuration errors, address in use)
      if (!ready && !everReady) { if (signal) log.error('worker failed to start', { exit_code: code, signal }); finish(code ?? 1); return; }
      if (Date.now() - startedAt > STABLE_MS) consecutive = 0;
      consecutive++;
      restarts++;
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (consecutive - 1));
      log.error('worker exited; restarting', { exit_code: code, signal, err: lastFatal?.slice(0, 4000), restarts, restart_in_ms: delay, pid: w.pid });
      restartTimer = setTimeout(start, delay);
    });
  };

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) { worker?.kill('SIGKILL'); return; }
    stopping = true;
    if (restartTimer) { clearTimeout(restartTimer); restartTimer = undefined; }
    for (const b of bound.values()) { b.server.close(); for (const q of b.queue) q.socket.destroy(); b.queue = []; }
    if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill(signal);
    else finish(0);
  };
  const onTerm = () => stop('SIGTERM');
  const onInt = () => stop('SIGINT');
  const onHup = () => worker?.kill('SIGHUP');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  process.on('SIGHUP', onHup);

  start();
  const code = await done;
  clearInterval(sweep);
  process.off('SIGTERM', onTerm);
  process.off('SIGINT', onInt);
  process.off('SIGHUP', onHup);
  for (const b of bound.values()) b.server.close();
  return code;
}
