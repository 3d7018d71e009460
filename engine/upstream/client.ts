// Upstream access: undici pools, slot limits before sending, failover only on
// network errors / 5xx / 429, cooldowns, passive health, redirects re-checked by the SSRF guard.
import { Agent, ProxyAgent, Socks5ProxyAgent, request, type Dispatcher } from 'undici';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Readable } from 'node:stream';
import type { TransportConfig, EffectiveConfig } from '../config/types.js';
import type { Logger } from '../mode.js';
import type { UpstreamLike, UpstreamRequest, UpstreamResponse } from '../pipeline/work.js';
import { Limiter, UpstreamBusyError } from './limiter.js';
import { Cooldowns, hostOf } from './cooldown.js';
import { Health } from './health.js';
import { ResumingBody, resumeTarget, MAX_RESUMES } from './resume.js';
import { m } from '../metrics.js';
import { publicOnlyConnector, privateAddressRefusal } from './public-connect.js';

export { UpstreamBusyError };

export class UpstreamFailure extends Error {
  /** passThrough: the upstream's verdict (credentials refused), not ill health — never answered from a stale copy */
  constructor(public status: number, message: string, public retryAfter?: number, public passThrough?: boolean) { super(message); }
}

export function validateProxyUrl(url: string): string | null {
  try {
    const u = new URL(url);
    return ['http:', 'https:', 'socks5:'].includes(u.protocol) && u.hostname ? null : `unsupported proxy URL scheme ${u.protocol}`;
  } catch { return `invalid proxy URL`; }
}

type Reason = 'connect' | 'dns' | 'tls' | 'reset' | 'timeout_head' | 'timeout_idle' | 'timeout_total' | 'protocol' | 'status_5xx' | 'status_429';

function classify(err: unknown): { reason: Reason; status: number; message: string } {
  const e = err as NodeJS.ErrnoException & { code?: string; cause?: NodeJS.ErrnoException };
  const code = e.code ?? e.cause?.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return { reason: 'timeout_head', status: 504, message: 'upstream did not answer in time' };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { reason: 'connect', status: 504, message: 'connecting to the upstream timed out' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { reason: 'dns', status: 502, message: 'upstream host name did not resolve' };
  if (code === 'ECONNREFUSED') return { reason: 'connect', status: 502, message: 'upstream refused the connection' };
  if (/CERT|TLS|SSL/.test(code)) return { reason: 'tls', status: 502, message: 'TLS handshake with the upstream failed' };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return { reason: 'reset', status: 502, message: 'upstream closed the connection' };
  if (code.startsWith('HPE_') || code === 'UND_ERR_INFO') return { reason: 'protocol', status: 502, message: 'upstream sent an unparseable response' };
  return { reason: 'connect', status: 502, message: `upstream request failed (${code || (e.message ?? 'error').slice(0, 80)})` };
}

const flat = (h: Record<string, string | string[] | undefined>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
};

export interface UpstreamClient extends UpstreamLike { close(): Promise<void>; health: Health; cooldowns: Cooldowns }

export function createUpstreamClient(o: { download: EffectiveConfig['storage']['download']; transportFor: (instance: string) => TransportConfig; log: Logger; onEvent?: (e: Record<string, unknown>) => void }): UpstreamClient {
  const limiter = new Limiter(o.download);
  const cooldowns = new Cooldowns(o.download.max_cooldown);
  const health = new Health((i) => o.transportFor(i).health, (instance, origin, from, to) =>
    o.onEvent?.({ instance, result: 'circuit', state_from: from, reason_code: `${from}->${to}`, message: `${hostOf(origin)} ${from} → ${to}` }));
  const agents = new Map<string, Dispatcher>();
  const guardedAgents = new Map<string, Dispatcher>();
  const transports = new Map<string, TransportConfig>();
  const tr = (instance: string) => { let t = transports.get(instance); if (!t) { t = o.transportFor(instance); transports.set(instance, t); } return t; };

  // transport.ca_file: extra PEM roots beside the system ones, for the upstream's TLS (through a proxy too)
  const tlsOf = (t: TransportConfig) => (t.ca_file ? { ca: [...rootCertificates, readFileSync(t.ca_file, 'utf8')] } : undefined);
  const poolOpts = (t: TransportConfig) => ({ connections: t.max_conns_per_host, connectTimeout: t.dial_timeout, headersTimeout: t.header_timeout, bodyTimeout: t.idle_body_timeout, keepAliveTimeout: 90_000 });

  function agentFor(instance: string): Dispatcher {
    let a = agents.get(instance);
    if (a) return a;
    const t = tr(instance);
    const tls = tlsOf(t);
    const opts = poolOpts(t);
    // requestTls is read by undici's Socks5ProxyAgent (lib/dispatcher/socks5-proxy-agent.js) but missing from its typings
    if (t.proxy?.startsWith('socks5:')) a = new Socks5ProxyAgent(t.proxy, { requestTls: tls } as Socks5ProxyAgent.Options);
    else if (t.proxy) a = new ProxyAgent({ uri: t.proxy, ...opts, ...(tls ? { requestTls: tls } : {}) });
    else a = new Agent({ ...opts, ...(tls ? { connect: tls } : {}) });
    agents.set(instance, a);
    return a;
  }

  /**
   * Targets allowed only because their host is public: a pool of its own whose every new connection is
   * checked on the address actually used, so no connection to a configured origin is ever shared with them.
   * Through transport.proxy the proxy resolves the name and only the check before the request applies.
   */
  function guardedAgentFor(instance: string): Dispatcher {
    const t = tr(instance);
    if (t.proxy) return agentFor(instance);
    let a = guardedAgents.get(instance);
    if (!a) {
      a = new Agent({ ...poolOpts(t), connect: publicOnlyConnector({ ...(tlsOf(t) ?? {}), timeout: t.dial_timeout }) });
      guardedAgents.set(instance, a);
    }
    return a;
  }

  async function send(req: UpstreamRequest, url: string, signal: AbortSignal): Promise<{ url: string; res: Dispatcher.ResponseData }> {
    const t = tr(req.instance);
    let current = new URL(url);
    const firstOrigin = current.origin;
    let authHeader = req.auth ? await req.auth.header(firstOrigin) : undefined;
    let retried = false;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': t.ua, 'accept-encoding': 'identity', ...(req.headers ?? {}) };
      // configured credentials, unless the request carries the client's own (transport.forward_authorization)
      if (current.origin === firstOrigin && req.credentials && req.credentials.origin === current.origin && !req.headers?.authorization) headers.authorization = req.credentials.header;
      if (current.origin === firstOrigin && authHeader) headers.authorization = authHeader;
      if (current.origin !== firstOrigin) { delete headers.authorization; delete headers.cookie; }
      const t0 = performance.now();
      const dispatcher = (await req.publicOnly?.(current)) ? guardedAgentFor(req.instance) : agentFor(req.instance);
      const res = await request(current, { method: req.method, headers, body: req.body, dispatcher, signal });
      m.upstreamDuration.observe({ instance: req.instance, upstream: current.host }, (performance.now() - t0) / 1000);
      m.upstreamRequests.inc({ instance: req.instance, upstream: current.host, method: req.method, status: String(res.statusCode) });
      if (res.statusCode === 401 && req.auth) {
        const www = res.headers['www-authenticate'];
        const next = www && !retried && current.origin === firstOrigin ? await req.auth.retry(firstOrigin, Array.isArray(www) ? www.join(', ') : www, authHeader) : undefined;
        res.body.resume();
        if (next) { retried = true; authHeader = next; hop--; continue; }
        // a 401 would ask the client for credentials the proxy never forwards
        throw new UpstreamFailure(403, `upstream ${current.host} refused the proxy's credentials`, undefined, true);
      }
      const loc = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.statusCode) || !loc || req.body) return { url: current.toString(), res };
      res.body.resume();
      if (hop >= 5) throw new UpstreamFailure(502, 'too many upstream redirects');
      const next = new URL(Array.isArray(loc) ? loc[0]! : loc, current);
      if (current.protocol === 'https:' && next.protocol === 'http:') throw new UpstreamFailure(502, `redirect from https to http (${next.host}) refused`);
      if (!(await req.allowed(next))) throw new UpstreamFailure(502, `redirect to ${next.host} not allowed`);
      current = next;
    }
  }

  async function attempt(req: UpstreamRequest): Promise<UpstreamResponse> {
    // health orders origins; several candidates on one origin (two proxies under one host) are each tried, in order
    const byOrigin = new Map<string, string[]>();
    for (const u of req.candidates) { const o = new URL(u).origin; byOrigin.set(o, [...(byOrigin.get(o) ?? []), u]); }
    const ordered = health.order(req.instance, [...byOrigin.keys()]).flatMap((origin) => byOrigin.get(origin)!);
    let last: UpstreamFailure | undefined;
    let minCooldown = Infinity;
    for (const [i, url] of ordered.entries()) {
      const origin = new URL(url).origin;
      const cd = cooldowns.remaining(origin);
      if (cd > 0) { minCooldown = Math.min(minCooldown, cd); continue; }
      const slot = await limiter.acquire({ instance: req.instance, origin, foreground: req.foreground, signal: req.signal });
      const ac = new AbortController();
      const t = tr(req.instance);
      const total = setTimeout(() => ac.abort(new Error('max_request_duration')), t.max_request_duration);
      req.signal?.addEventListener('abort', () => ac.abort(req.signal?.reason), { once: true });
      m.upstreamInFlight.inc({ upstream: hostOf(origin) });
      let released = false;
      const release = () => { if (released) return; released = true; clearTimeout(total); slot.release(); m.upstreamInFlight.dec({ upstream: hostOf(origin) }); };
      const t0 = performance.now();
      let sent: { url: string; res: Dispatcher.ResponseData };
      try {
        sent = await send(req, url, ac.signal);
      } catch (err) {
        release();
        if (err instanceof UpstreamFailure) { last = err; continue; }
        const refused = privateAddressRefusal(err);
        if (refused) {
          // the target's own doing, not the configured origin's health: no failover penalty, a 502 naming both
          o.log.warn('upstream connection refused: the host resolved to a private address (SSRF guard)', { instance: req.instance, upstream: refused.host, address: refused.addresses.join(', ') });
          o.onEvent?.({ instance: req.instance, result: 'refused', reason_code: 'private_address', message: `${refused.host} resolved to ${refused.addresses.join(', ')}: connection refused (SSRF guard)` });
          last = new UpstreamFailure(502, `upstream host ${refused.host} resolved to a private address (${refused.addresses.join(', ')}): refused by the SSRF guard`);
          continue;
        }
        const c = classify(err);
        m.upstreamErrors.inc({ instance: req.instance, upstream: hostOf(origin), reason: c.reason });
        m.upstreamRequests.inc({ instance: req.instance, upstream: hostOf(origin), method: req.method, status: c.reason.startsWith('timeout') ? 'timeout' : 'error' });
        health.record(req.instance, origin, false);
        last = new UpstreamFailure(c.status, `${c.message} (${hostOf(origin)})`);
        o.log.warn('upstream request failed', { instance: req.instance, upstream: hostOf(origin), err: c.reason });
        continue;
      }
      const { res } = sent;
      const st = res.statusCode;
      const headers = flat(res.headers as Record<string, string | string[] | undefined>);
      const more = i < ordered.length - 1;
      if (st >= 500 || st === 429) {
        res.body.resume();
        release();
        if (st === 429 || (st === 503 && headers['retry-after'])) {
          const ms = cooldowns.note(origin, st, headers['retry-after']);
          o.onEvent?.({ instance: req.instance, result: 'cooldown', reason_code: `status_${st}`, message: `${hostOf(origin)} cooling down for ${Math.ceil(ms / 1000)} s` });
        }
        m.upstreamErrors.inc({ instance: req.instance, upstream: hostOf(origin), reason: st === 429 ? 'status_429' : 'status_5xx' });
        if (st !== 429) health.record(req.instance, origin, false);
        const ra = headers['retry-after'] ? Math.ceil((Number(headers['retry-after']) || 5)) : undefined;
        last = st === 429 ? new UpstreamFailure(429, `upstream ${hostOf(origin)} is rate limiting`, ra ?? 5)
          : st === 503 ? new UpstreamFailure(503, `upstream ${hostOf(origin)} answered 503`, ra ?? 5)
          : new UpstreamFailure(502, `upstream ${hostOf(origin)} answered ${st}`);
        continue;
      }
      if (req.failoverOnStatus?.includes(st) && more) { res.body.resume(); release(); health.record(req.instance, origin, true); continue; }
      health.record(req.instance, origin, true, performance.now() - t0);
      cooldowns.success(origin);
      const instance = req.instance, host = hostOf(origin);
      // the slot stays held through any resume: the continuation is part of this request, under its deadline
      const upstreamBody = new ResumingBody(res.body, {
        target: resumeTarget(req.method, req.headers, st, headers),
        mayResume: () => !ac.signal.aborted,
        refetch: async (offset, target) => {
          const plain = Object.fromEntries(Object.entries(req.headers ?? {}).filter(([k]) => !/^if-(none-match|modified-since)$/i.test(k)));
          const again = await send({ ...req, headers: { ...plain, range: `bytes=${offset}-`, 'if-range': target.etag } }, url, ac.signal);
          return { status: again.res.statusCode, headers: flat(again.res.headers as Record<string, string | string[] | undefined>), body: again.res.body };
        },
        onResume: (offset, n, err) => {
          const code = (err as NodeJS.ErrnoException)?.code ?? 'error';
          m.upstreamResumes.inc({ instance, upstream: host });
          o.log.warn('upstream body interrupted, resuming with a range request', { instance, upstream: host, offset, attempt: n, err: code });
          o.onEvent?.({ instance, result: 'resume', reason_code: 'body_interrupted', message: `${host} interrupted at byte ${offset} (${code}), resuming (${n}/${MAX_RESUMES})` });
        },
        onRefused: (offset, why) => o.log.warn('upstream body not resumed', { instance, upstream: host, offset, reason: why }),
      });
      const body = Readable.from((async function* () {
        try {
          for await (const chunk of upstreamBody) {
            m.upstreamBytes.inc({ instance, upstream: host }, chunk.length);
            yield chunk;
          }
        } finally { release(); }
      })(), { objectMode: false, highWaterMark: 256 * 1024 });
      body.on('close', () => { if (!released) { upstreamBody.destroy(); release(); } });
      if (req.method === 'HEAD' || st === 304 || st === 204) { res.body.resume(); release(); }
      return { status: st, headers, body, url: sent.url, origin, release: () => { if (!released) { upstreamBody.destroy(); release(); } } };
    }
    if (!last && minCooldown < Infinity) {
      if (minCooldown <= o.download.queue_wait) {
        await new Promise((r) => setTimeout(r, minCooldown));
        return attempt(req);
      }
      throw new UpstreamFailure(503, 'every upstream is cooling down after rate limiting', Math.ceil(minCooldown / 1000));
    }
    throw last ?? new UpstreamFailure(502, 'no upstream configured');
  }

  async function fetchSmall(instance: string, url: string, headers: Record<string, string>, max: number): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const t = tr(instance);
    const res = await request(url, { method: 'GET', headers: { 'user-agent': t.ua, 'accept-encoding': 'identity', ...headers }, dispatcher: agentFor(instance), signal: AbortSignal.timeout(t.header_timeout + t.idle_body_timeout) });
    m.upstreamRequests.inc({ instance, upstream: new URL(url).host, method: 'GET', status: String(res.statusCode) });
    const parts: Buffer[] = [];
    let n = 0;
    for await (const c of res.body as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > max) { res.body.destroy(); throw new Error(`response from ${new URL(url).host} larger than ${max} bytes`); }
      parts.push(c);
    }
    return { status: res.statusCode, headers: flat(res.headers as Record<string, string | string[] | undefined>), body: Buffer.concat(parts) };
  }

  return {
    request: attempt,
    fetchSmall,
    health, cooldowns,
    async close() { await Promise.all([...agents.values(), ...guardedAgents.values()].map((a) => a.close().catch(() => undefined))); },
  };
}
