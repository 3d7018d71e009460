// One hop to another node: the request of a miss, sent to the node that owns its key, marked so that node
// never forwards it again; its answer comes back as a response to stream through (this node stores nothing).
import { Agent, request, type Dispatcher } from 'undici';
import type { Instance } from '../instance.js';
import type { Target, UpstreamResponse, Work } from '../pipeline/work.js';
import { shortError } from './peers.js';

/** carried by a forwarded request (its value: the sending node); a request with it is answered where it lands */
export const HOP_HEADER = 'x-cache-proxy-hop';

/** headers of one connection, never relayed (in either direction) */
const HOP_BY_HOP = ['host', 'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection', 'proxy-authorization', 'content-length', 'expect'];
/** request headers that describe this hop or ask for part of a body: the owner is asked for the whole body */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'range', 'if-range', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', HOP_HEADER]);
/** a whole request relayed to the owner of its owner key: everything but this hop's own headers */
const NOT_RELAYED = new Set([...HOP_BY_HOP, HOP_HEADER]);

/** where an instance is reached on a node's main listener; undefined: on a listener of its own, not forwardable */
function mountOf(inst: Instance): string | undefined {
  if (inst.block.bind) return undefined;
  return (inst.block.route as { path?: string } | undefined)?.path;
}

/** the path and query of a request target on a node's main listener; undefined: the instance has a listener of its own */
export function mountedPath(inst: Instance, t: Target): string | undefined {
  const mount = mountOf(inst);
  if (mount === undefined) return undefined;
  const path = mount.replace(/\/$/, '') + (t.rawSegments.length ? '/' + t.rawSegments.join('/') : '') + (t.trailingSlash ? '/' : '');
  return (path || '/') + (t.query ? `?${t.query}` : '');
}

/**
 * The path and query to ask another node for, or undefined when the request is not forwarded: HEAD, an instance
 * on a listener of its own, and kinds with a `rewrite` (the owner would answer with its own links; such
 * documents are small and each node fetches them itself).
 */
export function hopPath(w: Work): string | undefined {
  if (!w.target || w.method !== 'GET' || w.inst.def.kinds[w.kind]?.body?.rewrite) return undefined;
  return mountedPath(w.inst, w.target);
}

export function hopHeaders(w: Work, self: string): Record<string, string> {
  const h = pick(w.match.headers, NOT_FORWARDED);
  h[HOP_HEADER] = self;
  h['x-request-id'] = w.requestId;
  h['accept-encoding'] = 'identity';
  return h;
}

/** the headers of a whole request relayed as it came (Range, conditionals and encodings included) */
export function relayHeaders(headers: Readonly<Record<string, string | undefined>>, self: string, requestId: string): Record<string, string> {
  const h = pick(headers, NOT_RELAYED);
  h[HOP_HEADER] = self;
  h['x-request-id'] = requestId;
  return h;
}

/** response headers of the owner that describe its connection, not the answer */
export function answerHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return pick(headers, new Set(HOP_BY_HOP.filter((k) => k !== 'content-length')));
}

function pick(headers: Readonly<Record<string, string | undefined>>, drop: ReadonlySet<string>): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !drop.has(k)) h[k] = v;
  return h;
}

export type HopResult = { type: 'answered'; resp: UpstreamResponse } | { type: 'unreachable'; reason: string };

export class Forwarder {
  private agent: Dispatcher;

  constructor(private self: string, connectTimeoutMs: number, slowMs = 60_000) {
    this.agent = new Agent({ connectTimeout: connectTimeoutMs, headersTimeout: slowMs, bodyTimeout: slowMs, keepAliveTimeout: 30_000 });
  }

  /** GET of the health endpoint; true when the node answers 200 */
  async probe(node: string, path: string, signal: AbortSignal): Promise<boolean> {
    const res = await request(node + path, { method: 'GET', dispatcher: this.agent, signal, headers: { [HOP_HEADER]: this.self } });
    res.body.resume();
    return res.statusCode === 200;
  }

  /**
   * The miss sent to `node`. Unreachable: no answer head came (refused, reset, timed out) or the node answered
   * that it cannot serve now (its own 503 while starting or stopping, which carries no X-Cache). A node that
   * stalls after its head is cut by the idle timeout (60 s), like an upstream.
   */
  send(node: string, w: Work, path: string): Promise<HopResult> {
    return this.exchange(node, path, { method: 'GET', headers: hopHeaders(w, this.self) });
  }

  /** a whole request (any method, its body) to the node owning its owner key; answered like `send` */
  relay(node: string, path: string, r: { method: string; headers: Readonly<Record<string, string | undefined>>; body: Buffer; requestId: string }): Promise<HopResult> {
    const body = r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body;
    return this.exchange(node, path, { method: r.method, headers: relayHeaders(r.headers, this.self, r.requestId), body });
  }

  private async exchange(node: string, path: string, o: { method: string; headers: Record<string, string>; body?: Buffer }, retried = false): Promise<HopResult> {
    try {
      const res = await request(node + path, { method: o.method as 'GET', headers: o.headers, body: o.body, dispatcher: this.agent });
      if (res.statusCode === 503 && res.headers['x-cache'] === undefined) { res.body.resume(); return { type: 'unreachable', reason: 'answered 503 (starting or stopping)' }; }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      return { type: 'answered', resp: { status: res.statusCode, headers, body: res.body, url: node + path, origin: node, release: () => undefined } };
    } catch (e) {
      // a kept-alive connection the node had closed: once more on a new one before calling the node unreachable
      const reason = shortError(e);
      if (!retried && (reason === 'UND_ERR_SOCKET' || reason === 'ECONNRESET')) return this.exchange(node, path, o, true);
      return { type: 'unreachable', reason };
    }
  }

  async close(): Promise<void> { await this.agent.close().catch(() => undefined); }
}
