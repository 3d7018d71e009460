// A counting, fault-injecting reverse proxy between the proxy under test and a real upstream server:
// counts requests per method and path class, and can throttle bodies, flip one byte of a matching
// response body, or refuse connections (its port closed, then reopened on the same port).
import { createServer, request as httpRequest, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { track } from './cleanup.js';

export interface ShimRequest { method: string; path: string; query: string; cls: string; status?: number; headers: Record<string, string>; at: number }
export interface ShimFaults {
  /** bytes per second for every response body */
  rate?: number;
  /** flip the byte at `offset` of bodies whose path matches */
  flip?: { path: RegExp; offset: number };
}

export interface Shim {
  url: string; host: string; port: number;
  requests: ShimRequest[];
  faults: ShimFaults;
  /** requests so far, optionally of one method and/or path class */
  count(o?: { method?: string; cls?: string; path?: string | RegExp }): number;
  reset(): void;
  /** close the port (clients get connection refused) / open it again */
  refuse(): Promise<void>;
  accept(): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startShim(o: { target: string; classify?: (method: string, path: string) => string }): Promise<Shim> {
  const target = new URL(o.target);
  const classify = o.classify ?? (() => 'any');
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const shim: Shim = {
    url: '', host: '', port: 0, requests: [], faults: {},
    count: (f = {}) => shim.requests.filter((r) => (!f.method || r.method === f.method) && (!f.cls || r.cls === f.cls)
      && (f.path === undefined || (typeof f.path === 'string' ? r.path === f.path : f.path.test(r.path)))).length,
    reset: () => { shim.requests.length = 0; },
    refuse: async () => {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((r) => { s.close(() => r()); for (const k of sockets) k.destroy(); });
    },
    accept: async () => {
      if (server) return;
      const s = createServer(handle);
      s.on('connection', (k: Socket) => { sockets.add(k); k.on('close', () => sockets.delete(k)); });
      await new Promise<void>((r, j) => { s.once('error', j); s.listen(port, '127.0.0.1', () => r()); });
      server = s;
      port = (s.address() as { port: number }).port;
      Object.assign(shim, { port, url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` });
    },
    close: () => shim.refuse(),
  };

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    const seen: ShimRequest = { method: req.method ?? 'GET', path, query, cls: classify(req.method ?? 'GET', path), headers, at: Date.now() };
    shim.requests.push(seen);
    const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (ur) => {
      seen.status = ur.statusCode;
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      void relay(ur, res, path);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  }

  async function relay(from: IncomingMessage, to: ServerResponse, path: string): Promise<void> {
    const { rate, flip } = shim.faults;
    const flipAt = flip && flip.path.test(path) ? flip.offset : -1;
    const t0 = performance.now();
    let sent = 0;
    try {
      for await (const c of from as AsyncIterable<Buffer>) {
        let chunk = c;
        if (flipAt >= sent && flipAt < sent + chunk.length) { chunk = Buffer.from(chunk); chunk[flipAt - sent] ^= 0xff; }
        for (let off = 0; off < chunk.length; off += 64 * 1024) {
          const part = chunk.subarray(off, off + 64 * 1024);
          if (to.destroyed) return;
          if (!to.write(part)) await new Promise<void>((r) => { const done = () => { to.off('drain', done); to.off('close', done); r(); }; to.on('drain', done); to.on('close', done); });
          sent += part.length;
          if (rate) { const due = (sent / rate) * 1000 - (performance.now() - t0); if (due > 1) await sleep(due); }
        }
      }
      to.end();
    } catch {
      to.destroy();
    }
  }

  await shim.accept();
  track(() => shim.close());
  return shim;
}
