// Listeners: the main one (home page, status, metrics, path mounts) and dedicated `bind` ones.
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { EffectiveConfig, AccessConfig } from '../config/types.js';
import type { Instance } from '../instance.js';
import { normaliseTargetMemo, BadRequest, type NormalisedTarget } from './normalize.js';
import { sendError, reason } from './respond.js';
import { requestIdOf } from '../pipeline/work.js';
import { afterAnswers, afterEarlierResponses, hasRequestBody } from './connection-guard.js';
import { bindServer } from './bind.js';
import { logAccessOnClose, logRefusedConnection } from './access-log.js';
import { log } from '../log.js';
import { accessVerdict, presentedToken as tokenOf, tokenMatches } from './client-auth.js';

export { tokenMatches };
const presentedToken = (req: IncomingMessage) => tokenOf(req.headers.authorization);

export interface Mounted { inst: Instance; mount?: string }

export interface Dispatcher {
  ready(): boolean;
  shuttingDown(): boolean;
  handleInstance(inst: Instance, req: IncomingMessage, res: ServerResponse, target: NormalisedTarget, publicBase: string, requestId: string): Promise<void>;
  /** answer a repeated plain hit from memory (engine/hot-hits.ts); false → handleInstance */
  serveHot(inst: Instance, req: IncomingMessage, res: ServerResponse, publicBase: string, requestId: string): boolean;
  homePage(req: IncomingMessage, res: ServerResponse, publicBase: string, only?: Instance): void;
  status(req: IncomingMessage, res: ServerResponse, sub: string): void;
  metrics(res: ServerResponse, head: boolean): Promise<void>;
  /** POST /-/admin/<sub>, the token already checked */
  admin(req: IncomingMessage, res: ServerResponse, sub: string): void;
}


const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;
/** host[:port] with a port in 1–65535: the only Host (and X-Forwarded-Host) a public URL is built from */
export function validHost(h: string): boolean {
  const m = HOST.exec(h);
  return !!m && (m[1] === undefined || (Number(m[1]) >= 1 && Number(m[1]) <= 65535));
}

/** why the Host header cannot be used (one host[:port] with a port 1–65535; empty only on HTTP/1.0), or undefined */
function invalidHost(req: IncomingMessage): string | undefined {
  let count = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.length === 4 && req.rawHeaders[i]!.toLowerCase() === 'host') count++;
  if (count > 1) return 'more than one Host header';
  const host = req.headers.host;
  if (host === undefined) return undefined;
  if (host === '' && req.httpVersion === '1.0') return undefined;
  return validHost(host) ? undefined : 'invalid Host header (expected host or host:port)';
}

function ipInCidr(ip: string, cidr: string): boolean {
  const clean = ip.replace(/^::ffff:/, '');
  if (cidr === 'loopback') return clean === '127.0.0.1' || clean.startsWith('127.') || clean === '::1';
  const [net, bitsS] = cidr.split('/');
  if (!net || !net.includes('.') || !clean.includes('.')) return clean === net;
  const bits = bitsS === undefined ? 32 : Number(bitsS);
  const n = (s: string) => s.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (n(clean) & mask) === (n(net) & mask);
}

export function publicBaseOf(cfg: EffectiveConfig, req: IncomingMessage, listenAddr: string): string {
  if (cfg.server.public_url) return cfg.server.public_url.replace(/\/+$/, '');
  const peer = req.socket.remoteAddress ?? '';
  const trusted = cfg.server.trust_forwarded && (cfg.server.trusted_proxies.length ? cfg.server.trusted_proxies : ['loopback']).some((c) => ipInCidr(peer, c));
  if (trusted) {
    const fh = req.headers['x-forwarded-host'];
    const fp = req.headers['x-forwarded-proto'];
    if (typeof fh === 'string' && validHost(fh.split(',')[0]!.trim())) {
      const proto = typeof fp === 'string' && /^https?$/.test(fp.split(',')[0]!.trim()) ? fp.split(',')[0]!.trim() : 'http';
      return `${proto}://${fh.split(',')[0]!.trim()}`;
    }
  }
  const host = req.headers.host;
  return `http://${host && validHost(host) ? host : listenAddr}`;
}

/**
 * Node's header limit counts the request line too: an overflow whose last line (in the chunk being parsed)
 * starts like a request line ("GET /…", no colon) is a request target too long, not a header.
 * A line that began in an earlier chunk cannot be told apart and stays 431.
 */
function inRequestLine(err: Error & { rawPacket?: Buffer }): boolean {
  const raw = err.rawPacket;
  if (!raw) return false;
  const start = raw.lastIndexOf(10) + 1;
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^ \r\n]/.test(raw.subarray(start, start + 64).toString('latin1'));
}

export interface Listener { server: Server; address: string; close(): Promise<void> }

export async function listen(cfg: EffectiveConfig, bind: string, d: Dispatcher, mounts: Mounted[], dedicated?: Instance): Promise<Listener> {
  const L = cfg.server.limits;
  const server = createServer({
    maxHeaderSize: L.max_header_bytes,
    headersTimeout: L.header_timeout,
    requestTimeout: L.request_timeout,
    keepAliveTimeout: L.keep_alive_timeout,
    requireHostHeader: false,
  });
  server.maxConnections = L.max_connections;
  server.timeout = L.client_idle_timeout;
  const sorted = [...mounts].filter((x) => x.mount).sort((a, b) => b.mount!.length - a.mount!.length)
    .map((mnt) => ({ mnt, mp: mnt.mount!, depth: mnt.mount!.split('/').filter(Boolean).length }));
  const [host, portS] = splitHostPort(bind);

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) { socket.destroy(); return; }
    const code = err.code ?? '';
    const status = code === 'HPE_HEADER_OVERFLOW' ? (inRequestLine(err) ? 414 : 431) : code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'HPE_HEADERS_TIMEOUT' ? 408 : code === 'HPE_INVALID_METHOD' ? 405 : 400;
    const body = `${status} ${reason(status)}\n`;
    if (cfg.log.access) logRefusedConnection(log, status, socket.remoteAddress);
    afterAnswers(socket, () => socket.writable ? socket.end(`HTTP/1.1 ${status} ${reason(status)}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n${status === 405 ? 'Allow: GET, HEAD\r\n' : ''}\r\n${body}`) : socket.destroy());
  });
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    if (cfg.log.access) logRefusedConnection(log, 405, socket.remoteAddress);
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  server.on('timeout', (socket: Socket) => socket.destroy());

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // a client that vanished mid-write must never take the process down
    res.on('error', () => res.destroy());
    req.on('error', () => res.destroy());
    afterEarlierResponses(req, res, () => onRequest(req, res));
  });
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = requestIdOf(req);
    if (cfg.log.access) logAccessOnClose(log, req, res, requestId);
    const err = (status: number, msg: string, extra: { retryAfter?: number; headers?: Record<string, string> } = {}) =>
      sendError(res, status, msg, { requestId, head: req.method === 'HEAD', ...extra });
    // a malformed request ends its connection: what follows it on the wire is not trusted to be framed right
    const refuse = (status: number, msg: string) => { res.setHeader('connection', 'close'); err(status, msg); };
    if (d.shuttingDown()) { res.setHeader('connection', 'close'); return err(503, 'shutting down', { retryAfter: 5 }); }
    if (!d.ready()) return err(503, 'starting', { retryAfter: 5 });
    const url = req.url ?? '/';
    if (Buffer.byteLength(url) > L.max_url_bytes) return refuse(414, 'request target too long');
    if (req.rawHeaders.length / 2 > L.max_headers) return refuse(431, 'too many header fields');
    const hostProblem = invalidHost(req);
    if (hostProblem) return refuse(400, hostProblem);
    if ((req.method === 'GET' || req.method === 'HEAD') && hasRequestBody(req)) return refuse(400, 'GET and HEAD requests must not have a body');
    let target;
    try {
      target = normaliseTargetMemo(url, req.method ?? 'GET', { dropDotSegments: true });
    } catch (e) {
      if (e instanceof BadRequest) return e.status === 414 ? refuse(414, e.message) : err(e.status, e.message);
      throw e;
    }
    const base = publicBaseOf(cfg, req, bind);
    const path = target.path;
    // "." segments reach only instances whose mode accepts them (apt: `<flat dir>/./InRelease`)
    const dotsRefused = (inst?: Instance) => !!target.dotSegments && inst?.def.dotSegments !== 'drop';
    const methodOk = req.method === 'GET' || req.method === 'HEAD';
    if (dedicated) {
      const bp = dedicated.def.basePath;
      if (bp && path !== '/') {
        if (path !== bp && !path.startsWith(bp + '/')) return sendError(res, 404, `no such resource (this listener serves ${bp}/)`, { requestId, head: req.method === 'HEAD', format: dedicated.def.hooks?.errorBody });
        if (!checkAccess(cfg, dedicated, req, res, requestId, target.segments.slice(bp.split('/').filter(Boolean).length).join('/'), base + bp)) return;
        const depth = bp.split('/').filter(Boolean).length;
        const sub = { ...target, segments: target.segments.slice(depth), rawSegments: target.rawSegments.slice(depth) };
        if (sub.segments.length === 0) sub.trailingSlash = false;
        void d.handleInstance(dedicated, req, res, sub, base + bp, requestId);
        return;
      }
      if (path === '/' && (bp || !dedicated.routes.some((r) => r.test('', [])))) {
        if (!methodOk) return err(405, `${req.method} is not allowed here`, { headers: { allow: 'GET, HEAD' } });
        return d.homePage(req, res, base, dedicated);
      }
      if (dotsRefused(dedicated)) return err(400, 'path segment "." is not allowed');
      if (!checkAccess(cfg, dedicated, req, res, requestId, target.segments.join('/'), base)) return;
      if (d.serveHot(dedicated, req, res, base, requestId)) return;
      void d.handleInstance(dedicated, req, res, target, base, requestId);
      return;
    }
    if (target.dotSegments && dotsRefused(sorted.find(({ mp }) => path === mp || path.startsWith(mp + '/'))?.mnt.inst)) return err(400, 'path segment "." is not allowed');
    if (path === '/') {
      if (!methodOk) return err(405, `${req.method} is not allowed here`, { headers: { allow: 'GET, HEAD' } });
      return d.homePage(req, res, base);
    }
    // the dashboard's browser modules: public (no figures in them), beside the home page
    if (path.startsWith('/-/dashboard/')) {
      if (!methodOk) return err(405, `${req.method} is not allowed here`, { headers: { allow: 'GET, HEAD' } });
      return d.status(req, res, path.slice('/-/'.length));
    }
    // a cluster peer's health probe (engine/cluster): public, it tells nothing but "this node serves"
    if (path === '/-/cluster/health' && methodOk) return d.status(req, res, 'cluster/health');
    if (path === '/-/status' || path.startsWith('/-/status/')) {
      if (!methodOk) return err(405, `${req.method} is not allowed here`, { headers: { allow: 'GET, HEAD' } });
      if (cfg.server.status.token && !tokenMatches(presentedToken(req), [cfg.server.status.token])) return err(401, 'status token required', { headers: { 'www-authenticate': 'Bearer realm="status"' } });
      return d.status(req, res, path.slice('/-/status/'.length));
    }
    if (path === '/-/admin' || path.startsWith('/-/admin/')) {
      // no configured token: there is no admin endpoint at all
      if (!cfg.server.admin.token) return err(404, 'no admin endpoints (server.admin.token is not set)');
      if (req.method !== 'POST') return err(405, `${req.method} is not allowed here`, { headers: { allow: 'POST' } });
      const presented = presentedToken(req);
      if (!presented) return err(401, 'admin token required', { headers: { 'www-authenticate': 'Bearer realm="admin"' } });
      if (!tokenMatches(presented, [cfg.server.admin.token])) return err(403, 'wrong admin token');
      return d.admin(req, res, path.slice('/-/admin/'.length));
    }
    if (path === cfg.metrics.path) {
      if (!methodOk) return err(405, `${req.method} is not allowed here`, { headers: { allow: 'GET, HEAD' } });
      if (cfg.metrics.token && !tokenMatches(presentedToken(req), [cfg.metrics.token])) return err(401, 'metrics token required', { headers: { 'www-authenticate': 'Bearer realm="metrics"' } });
      void d.metrics(res, req.method === 'HEAD');
      return;
    }
    for (const { mnt, mp, depth } of sorted) {
      if (path === mp || path.startsWith(mp + '/')) {
        if (!checkAccess(cfg, mnt.inst, req, res, requestId, target.segments.slice(depth).join('/'), base + mp)) return;
        if (d.serveHot(mnt.inst, req, res, base + mp, requestId)) return;
        const sub = { ...target, segments: target.segments.slice(depth), rawSegments: target.rawSegments.slice(depth) };
        if (sub.segments.length === 0) sub.trailingSlash = false;
        void d.handleInstance(mnt.inst, req, res, sub, base + mp, requestId);
        return;
      }
    }
    return err(404, `no instance is mounted at ${target.segments[0] ? '/' + target.segments[0] : '/'}`);
  };

  const bound = await bindServer(server, host, Number(portS));
  return { server, address: bound.address, close: bound.close };
}

function checkAccess(cfg: EffectiveConfig, inst: Instance, req: IncomingMessage, res: ServerResponse, requestId: string, path: string, publicBase: string): boolean {
  const v = accessVerdict(inst.cfg.access ?? cfg.server.access, inst.def.clientAuth, inst.block, inst.name, { authorization: req.headers.authorization, path, publicBase });
  if (v.ok) return true;
  sendError(res, 401, v.message, { requestId, headers: v.headers, format: inst.def.clientAuth ? inst.def.hooks?.errorBody : undefined, head: req.method === 'HEAD' });
  return false;
}

export function splitHostPort(bind: string): [string, string] {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(bind);
  if (!m) throw new Error(`bad host:port "${bind}"`);
  const host = m[1] ?? m[2] ?? '';
  return [host === '' ? '0.0.0.0' : host === 'localhost' ? '127.0.0.1' : host, m[3]!];
}
