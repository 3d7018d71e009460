// How the cache tools reach a running proxy: the main listener of the configuration (server.bind; a wildcard
// address is asked on loopback) or --url, with the configured status and admin tokens.
import type { EffectiveConfig } from '../../engine/config/types.js';

export interface ProxyApi { base: string; status(path: string): Promise<Response>; admin(action: string, body: unknown): Promise<Response> }

export function proxyBase(cfg: EffectiveConfig, url?: string): string {
  if (url) return url.replace(/\/+$/, '');
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(cfg.server.bind);
  if (!m) throw new Error(`server.bind "${cfg.server.bind}" is not host:port`);
  let host = m[1] ?? m[2] ?? '';
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::') host = '::1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${m[3]}`;
}

export function proxyApi(cfg: EffectiveConfig, url?: string): ProxyApi {
  const base = proxyBase(cfg, url);
  const bearer = (t?: string): Record<string, string> => (t ? { authorization: `Bearer ${t}` } : {});
  return {
    base,
    status: (path) => fetch(`${base}/-/status/${path}`, { headers: bearer(cfg.server.status.token), signal: AbortSignal.timeout(120_000) }),
    admin: (action, body) => fetch(`${base}/-/admin/${action}`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...bearer(cfg.server.admin.token) }, body: JSON.stringify(body), signal: AbortSignal.timeout(600_000),
    }),
  };
}

/** does a cache-proxy answer at `base`? (its status summary, within 2 s) */
export async function proxyRunning(cfg: EffectiveConfig, base: string): Promise<boolean> {
  try {
    const r = await fetch(`${base}/-/status/summary`, { headers: cfg.server.status.token ? { authorization: `Bearer ${cfg.server.status.token}` } : {}, signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status === 200 || r.status === 401;
  } catch { return false; }
}

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
