// Learned fetch targets (SSRF guard): origins an `index` hook took from a response of an allowed
// origin. A learned origin must be http(s) and must not resolve to a loopback, private, link-local or
// unspecified address, unless a configured upstream itself does (a registry on a LAN names LAN hosts).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { StateStore } from '../cache/store.js';
import type { Logger } from '../mode.js';

const MAX_LEARNED = 1024;

export function isPrivateAddress(ip: string): boolean {
  const a = ip.replace(/^::ffff:/i, '');
  if (isIP(a) === 4) {
    const [x, y] = a.split('.').map(Number) as [number, number];
    return x === 0 || x === 10 || x === 127 || (x === 169 && y === 254) || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || (x === 100 && y >= 64 && y <= 127);
  }
  const l = a.toLowerCase();
  return l === '::' || l === '::1' || /^f[cd]/.test(l) || /^fe[89ab]/.test(l);
}

async function resolvesPrivate(host: string): Promise<boolean> {
  const h = host.replace(/^\[|\]$/g, '');
  if (isIP(h)) return isPrivateAddress(h);
  try {
    const addrs = await lookup(h, { all: true });
    return addrs.some((x) => isPrivateAddress(x.address));
  } catch {
    return false; // unresolvable now: the fetch will fail on its own
  }
}

export class LearnedTargets {
  private learned = new Set<string>();
  private loaded: Promise<void>;
  private upstreamPrivate?: Promise<boolean>;
  private refused = new Set<string>();

  constructor(private state: StateStore, private inst: string, private configured: ReadonlySet<string>, private log: Logger) {
    this.loaded = state.read(`${inst}/targets`).then((d) => {
      for (const o of ((d as { origins?: string[] } | null)?.origins ?? [])) this.learned.add(o);
    }, () => undefined);
  }

  ready(): Promise<void> { return this.loaded; }

  has(origin: string): boolean { return this.learned.has(origin); }

  /** learned origins may be private addresses: a configured upstream itself resolves to one */
  privateAllowed(): Promise<boolean> {
    this.upstreamPrivate ??= Promise.all([...this.configured].filter((o) => o.includes('://')).map((o) => resolvesPrivate(new URL(o).hostname))).then((r) => r.some(Boolean));
    return this.upstreamPrivate;
  }

  /** check and remember the origins of these URLs */
  async learn(urls: string[]): Promise<void> {
    await this.loaded;
    const fresh = new Set<string>();
    for (const u of urls) {
      let url: URL;
      try { url = new URL(u); } catch { continue; }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
      if (this.configured.has(url.origin) || this.learned.has(url.origin) || this.refused.has(url.origin)) continue;
      fresh.add(url.origin);
    }
    if (!fresh.size) return;
    const lanOk = await this.privateAllowed();
    let added = false;
    for (const origin of fresh) {
      if (!lanOk && await resolvesPrivate(new URL(origin).hostname)) {
        this.refused.add(origin);
        this.log.warn('learned target refused: it resolves to a private or loopback address', { instance: this.inst, upstream: new URL(origin).host });
        continue;
      }
      if (this.learned.size >= MAX_LEARNED) break;
      this.learned.add(origin);
      added = true;
    }
    if (added) await this.state.write(`${this.inst}/targets`, { origins: [...this.learned] });
  }
}
