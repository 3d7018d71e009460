// Remembered answers for repeated plain hits. A GET/HEAD without Range or conditionals that the pipeline
// answered from a stored entry (immutable HIT, or FRESH) is kept here, keyed by instance, public base and the
// raw request target; the next identical request is answered from it without classification, key hashing,
// entry lookup or header assembly. An answer is dropped as soon as its entry is replaced or removed, its
// freshness or expiry runs out, or the hourly last-use write of its entry is due (the pipeline does that).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { recordRequest } from './request-metrics.js';

export interface HotHit {
  instance: string;
  mode: string;
  kind: string;
  cache: 'HIT' | 'FRESH';
  /** the full response head except x-request-id and age */
  headers: Record<string, string>;
  /** the same as a flat [name, value, …] list, built on first reuse */
  flat?: string[];
  body: Buffer;
  validatedMs: number;
  /** answer from memory until then (ms since the epoch) */
  validUntilMs: number;
  /** request headers the answer depends on (vary classes, keyed pass headers), lower-case, with their values */
  deps: [string, string][];
  /** the entry this answer came from is still the stored one */
  isCurrent(): boolean;
  /** LRU bookkeeping of the entry */
  touch(): void;
  /** the instance forwards client Authorization upstream: such requests are never answered from memory */
  forwardsAuthorization?: boolean;
  /** for modes whose routes have predicates: this request still classifies to the same route */
  sameRoute?: (req: IncomingMessage) => boolean;
}

const MAX_ANSWERS = 20_000;
const MAX_BYTES = 64 * 1024 * 1024;

export const hotKey = (instance: string, publicBase: string, target: string): string => `${instance}\0${publicBase}\0${target}`;

/** a request the remembered answers may serve: no Range and no conditionals */
export function isPlainRequest(req: IncomingMessage): boolean {
  const h = req.headers;
  return h.range === undefined && h['if-none-match'] === undefined && h['if-modified-since'] === undefined && h['if-range'] === undefined;
}

/** the remembered answers of one engine */
export class HotHits {
  private answers = new Map<string, HotHit>();
  private bytes = 0;

  remember(key: string, hit: HotHit): void {
    const old = this.answers.get(key);
    if (old) { this.answers.delete(key); this.bytes -= old.body.length; }
    this.answers.set(key, hit);
    this.bytes += hit.body.length;
    while (this.answers.size > MAX_ANSWERS || this.bytes > MAX_BYTES) {
      const [k, v] = this.answers.entries().next().value!;
      this.answers.delete(k);
      this.bytes -= v.body.length;
    }
  }

  private drop(key: string, hit: HotHit): void {
    if (this.answers.get(key) !== hit) return;
    this.answers.delete(key);
    this.bytes -= hit.body.length;
  }

  /** answer from memory if an answer for exactly this request is remembered and still valid; false otherwise */
  serve(key: string, req: IncomingMessage, res: ServerResponse, requestId: string): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const hit = this.answers.get(key);
    if (!hit || !isPlainRequest(req)) return false;
    const now = Date.now();
    if (now >= hit.validUntilMs || !hit.isCurrent()) { this.drop(key, hit); return false; }
    for (const [name, value] of hit.deps) if ((req.headers[name] ?? '') !== value) return false;
    if (hit.sameRoute && !hit.sameRoute(req)) return false;
    if (hit.forwardsAuthorization && req.headers.authorization !== undefined) return false;
    const started = performance.now();
    hit.touch();
    const flat = hit.flat ??= Object.entries(hit.headers).flat();
    res.writeHead(200, [...flat, 'x-request-id', requestId, 'age', String(Math.max(0, Math.floor((now - hit.validatedMs) / 1000)))]);
    const head = req.method === 'HEAD';
    res.end(head ? undefined : hit.body);
    recordRequest({ instance: hit.instance, mode: hit.mode, kind: hit.kind, cache: hit.cache, method: req.method!, status: 200 }, started, head ? undefined : performance.now(), head ? 0 : hit.body.length);
    return true;
  }

  /** how many answers are remembered */
  get size(): number { return this.answers.size; }
}
