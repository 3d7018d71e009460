// What one request carries through the pipeline, and what the pipeline needs from the rest of the engine.
import * as crypto from 'node:crypto';
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Fill } from '../cache/fill.js';
import type { Entry } from '../cache/store.js';
import type { Instance, Resolved } from '../instance.js';
import type { Match } from '../mode.js';

export interface UpstreamResponse { status: number; headers: Record<string, string>; body: Readable; url: string; origin: string; release(): void }
export interface UpstreamRequest {
  instance: string; candidates: string[]; method: 'GET' | 'HEAD' | 'POST'; headers?: Record<string, string>; foreground: boolean;
  /** request body (POST): sent as is to each candidate tried; redirects are then not followed */
  body?: Buffer;
  signal?: AbortSignal; failoverOnStatus?: readonly number[]; allowed: (url: URL) => boolean | Promise<boolean>; credentials?: { origin: string; header: string };
  /** true: this URL is allowed only because its host is public — every connection to it is checked at connect time */
  publicOnly?: (url: URL) => boolean | Promise<boolean>;
  /** challenge-driven auth (modes with hooks.upstreamAuth or credentialsFor): header before sending, one retry after a 401 */
  auth?: { header(origin: string): Promise<string | undefined>; retry(origin: string, wwwAuthenticate: string, sent: string | undefined): Promise<string | undefined> };
}
export interface UpstreamLike {
  request(o: UpstreamRequest): Promise<UpstreamResponse>;
  /** a small GET outside the slot limits (token services during an auth retry) */
  fetchSmall?(instance: string, url: string, headers: Record<string, string>, max: number): Promise<{ status: number; headers: Record<string, string>; body: Buffer }>;
}
/** what an upstream failure tells the client */
export interface FailureLike { status: number; message: string; retryAfter?: number; passThrough?: boolean }
export const asFailure = (e: unknown): FailureLike => {
  const f = e as Partial<FailureLike> & Error;
  return { status: typeof f.status === 'number' ? f.status : 502, message: f.message || 'upstream failed', retryAfter: f.retryAfter, passThrough: f.passThrough };
};

// ---- entry index hooks (eviction, refcounts, touches) ----
export interface EntryIndexHooks {
  added(e: Entry): void;
  removed(inst: string, keyHash: string): void;
  touched(inst: string, keyHash: string): void;
  /** last use known to the index (newer than the record's persisted value) */
  lastUsed?(inst: string, keyHash: string): number | undefined;
  /** true when no record of the key can exist on disk (a cold miss then reads nothing) */
  knownAbsent?(inst: string, keyHash: string): boolean;
}


export type FlightOutcome =
  | { type: 'fill'; fill: Fill; head: Head; release: () => void }
  | { type: 'entry'; entry: Entry; label?: string }
  | { type: 'response'; status: number; headers: Record<string, string>; body: Buffer }
  | { type: 'stale' }
  | { type: 'error'; failure: FailureLike };
export interface Flight { revalidation: boolean; outcome: Promise<FlightOutcome>; /** the fill it became, once known */ fill?: Fill }
export interface Head { headers: Record<string, string>; size?: number }

/** a request as the pipeline reads it, from a client (engine/http) or from a hook (ctx.fetchThrough) */
export interface RequestFacts { method: string; headers: IncomingHttpHeaders; target: Target; publicBase: string; requestId: string }

/** per-request facts derived from the route; the decision reads only these */
export interface Work {
  inst: Instance;
  method: 'GET' | 'HEAD';
  kind: string;
  resolved: Resolved;
  key: string;
  keyHash: string;
  flightKey: string;
  candidates: string[];
  upstreamHeaders: Record<string, string>;
  match: Match;
  subject?: string;
  authScope?: string;
  requestId: string;
  publicBase: string;
  started: number;
  /** the request target within the instance as received (raw segments, query): what another node is asked for */
  target?: Target;
  /** kinds with `alternates`: the key around its vary classes, to name the key's other representations */
  keyParts?: { head: string; classes: Record<string, string>; tail: string };
}

/** the client connection a request's answer is written to, and what was written (for metrics and the access log) */
export interface Reply {
  req: IncomingMessage;
  res: ServerResponse;
  /** the X-Cache label answered */
  cache?: string;
  bytes: number;
  firstByteAt?: number;
}

// one-shot hashing where the runtime has it (Node ≥ 20.12): much cheaper than a Hash object per call
const oneShot = (crypto as { hash?: (algo: string, data: string, enc: 'hex') => string }).hash;
export const sha256 = oneShot ? (s: string) => oneShot('sha256', s, 'hex') : (s: string) => createHash('sha256').update(s).digest('hex');
export const iso = (ms: number) => new Date(ms).toISOString();

export function requestIdOf(req: IncomingMessage): string {
  const v = req.headers['x-request-id'];
  return typeof v === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(v) ? v : randomUUID();
}

/** request headers as hooks see them: one string each, without the client's credentials */
export function headerView(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) if (k !== 'authorization' && k !== 'cookie') out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export interface Target { segments: string[]; rawSegments: string[]; trailingSlash: boolean; query: string }

export const headerValue = (req: IncomingMessage, name: string): string => { const v = req.headers[name]; return Array.isArray(v) ? v.join(', ') : v ?? ''; };

/** transport.forward_authorization of an instance */
export function forwardsAuthorization(inst: Instance): boolean {
  return (inst.block.transport as { forward_authorization?: boolean } | undefined)?.forward_authorization === true;
}
