// isomorphic-git's HTTP client interface on undici: the instance's proxy (http, https or socks5, userinfo as
// proxy credentials) and the sync's abort signal (operation_timeout) reach every upstream exchange.
import { ProxyAgent, Socks5ProxyAgent, request, type Dispatcher } from 'undici';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

export interface UpstreamHttp extends HttpClient { close(): Promise<void> }

export function undiciHttp(o: { proxy?: string; signal?: AbortSignal }): UpstreamHttp {
  const dispatcher: Dispatcher | undefined = !o.proxy ? undefined
    : o.proxy.startsWith('socks5:') ? new Socks5ProxyAgent(o.proxy) : new ProxyAgent(o.proxy);
  return {
    async request(q: GitHttpRequest): Promise<GitHttpResponse> {
      let body: Buffer | undefined;
      if (q.body) {
        const parts: Uint8Array[] = [];
        for await (const c of q.body) parts.push(c);
        body = Buffer.concat(parts);
      }
      const r = await request(q.url, { method: (q.method ?? 'GET') as Dispatcher.HttpMethod, headers: q.headers, body, dispatcher, signal: o.signal });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      return { url: q.url, method: q.method, statusCode: r.statusCode, statusMessage: String(r.statusCode), headers, body: r.body[Symbol.asyncIterator]() as AsyncIterableIterator<Uint8Array> };
    },
    close: async () => { await dispatcher?.close(); },
  };
}
