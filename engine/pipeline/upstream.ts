// Upstream requests of the pipeline: credentials, auth challenges, the SSRF guard, the head of a response.
import type { Instance } from '../instance.js';
import type { StaticCredentials } from '../mode.js';
import { UpstreamAuth, basicHeader } from '../upstream/auth.js';
import { isPublicHttps } from '../upstream/public-host.js';
import { storedHeaders, guessType } from '../http/respond.js';
import type { EngineCtx } from './context.js';
import { publicOnly, targetAllowed } from './instance-state.js';
import type { Head, UpstreamRequest, UpstreamResponse, Work } from './work.js';

export function credentialsOf(inst: Instance): UpstreamRequest['credentials'] {
  const c = inst.def.credentials?.(inst.block);
  if (!c || !inst.upstreams[0]) return undefined;
  return { origin: new URL(inst.upstreams[0]).origin, header: c.type === 'basic' ? basicHeader(c) : `Bearer ${c.token ?? ''}` };
}

export function upstreamRequest(ctx: EngineCtx, w: Work, method: 'GET' | 'HEAD', extra: Record<string, string> = {}, foreground = true): Promise<UpstreamResponse> {
  const def = w.inst.def;
  const challenged = def.hooks?.upstreamAuth || def.credentialsFor ? authFor(ctx, w.inst) : undefined;
  const credentials = challenged ? undefined : credentialsOf(w.inst);
  return ctx.upstream.request({
    instance: w.inst.name, candidates: w.candidates, method, headers: { ...w.upstreamHeaders, ...extra }, foreground,
    failoverOnStatus: w.inst.def.kinds[w.kind]!.upstream?.failoverOnStatus, credentials,
    allowed: (u) => targetAllowed(ctx, w.inst, u) || (w.inst.def.kinds[w.kind]!.upstream?.redirects === 'public' && isPublicHttps(u)),
    publicOnly: (u) => publicOnly(ctx, w.inst, u),
    auth: challenged && {
      header: (origin) => challenged.preemptive(origin, w.authScope),
      retry: (origin, www, sent) => challenged.retry(origin, www, w.authScope, sent),
    },
  });
}

function authFor(ctx: EngineCtx, inst: Instance): UpstreamAuth {
  let a = ctx.state.auth.get(inst);
  if (!a) {
    const def = inst.def;
    const creds = (origin: string): StaticCredentials | null => def.credentialsFor ? def.credentialsFor(inst.block, origin) : origin === (inst.upstreams[0] && new URL(inst.upstreams[0]).origin) ? def.credentials?.(inst.block) ?? null : null;
    a = new UpstreamAuth({
      hook: def.hooks?.upstreamAuth, credentials: creds, log: ctx.log,
      get: (url, headers) => {
        if (!ctx.upstream.fetchSmall) return Promise.reject(new Error('no upstream client for authentication'));
        return ctx.upstream.fetchSmall(inst.name, url, headers, 1024 * 1024);
      },
      // a realm named by a configured upstream's challenge: https anywhere, or the upstream's own host, or allow_hosts
      allowed: (u, origin) => u.protocol === 'https:' || (u.protocol === 'http:' && u.hostname === new URL(origin).hostname) || inst.allowedOrigins.has(u.origin) || inst.allowedOrigins.has(u.host),
    });
    ctx.state.auth.set(inst, a);
  }
  return a;
}

export function headOf(w: Work, resp: UpstreamResponse): Head {
  const cl = resp.headers['content-length'];
  const size = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : undefined;
  const headers = storedHeaders(resp.headers, w.inst.def.kinds[w.kind]!.body?.storeHeaders);
  if (!headers['content-type']) headers['content-type'] = guessType(w.match.path);
  return { headers, size };
}
