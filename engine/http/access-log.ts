// One access-log line per request, whoever answered it: the listener (rejections, home page, status,
// metrics), a mode's responder or the cache pipeline. Handlers add what they know (instance, kind, key,
// cache outcome, body bytes); the line is written when the response closes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../mode.js';

export interface AccessFacts { instance?: string; kind?: string; key?: string; cache?: string; bytes?: number }

const facts = new WeakMap<ServerResponse, AccessFacts>();

/** what a handler knows about the request it answered (kept only for a response whose line will be written) */
export function noteAccess(res: ServerResponse, f: AccessFacts): void {
  const known = facts.get(res);
  if (known) Object.assign(known, f);
}

/** the line for a request, written once when its response closes */
export function logAccessOnClose(log: Logger, req: IncomingMessage, res: ServerResponse, requestId: string): void {
  const started = performance.now();
  facts.set(res, {});
  // after the other close listeners: the pipeline notes its cache outcome and byte count on close too
  res.once('close', () => setImmediate(() => {
    const f = facts.get(res)!;
    const cache = f.cache ?? res.getHeader('x-cache');
    const declared = Number(res.getHeader('content-length'));
    log.info('access', {
      req_id: requestId, method: req.method, path: (req.url ?? '').slice(0, 256), status: res.statusCode,
      ...(f.instance && { instance: f.instance }), ...(f.kind && { kind: f.kind }), ...(f.key !== undefined && { key: f.key.slice(0, 256) }),
      ...(cache !== undefined && { cache: String(cache) }),
      bytes: f.bytes ?? (req.method !== 'HEAD' && res.writableFinished && Number.isFinite(declared) ? declared : 0),
      ...(!res.writableFinished && { incomplete: true }),
      duration_ms: Math.round(performance.now() - started),
    });
  }));
}

/** a request Node's parser refused before it became a request (bad framing, header overflow, timeout) */
export function logRefusedConnection(log: Logger, status: number, peer: string | undefined): void {
  log.info('access', { status, method: null, path: null, peer, bytes: 0, duration_ms: 0 });
}
