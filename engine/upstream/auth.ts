// Upstream authentication challenges (mode hook `upstreamAuth`): a 401 with
// `WWW-Authenticate` is answered once — Basic with the configured credentials, any other scheme by
// the mode's hook (e.g. a token service) — and the scheme is remembered per origin, so later requests
// send credentials before being asked. Answers are cached per (realm, service, scope) until 90 % of
// their lifetime (and per credentials, so registry entries never share them), bounded, and concurrent
// fetches of one answer are collapsed.
import { createHash } from 'node:crypto';
import type { StaticCredentials, UpstreamAuthHook, Challenge } from '../mode.js';

export type { Challenge };

/** RFC 9110 §11.6.1 challenges: `Scheme k=v, k="quoted, value"`, several challenges in one header */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  const token = /[A-Za-z0-9!#$%&'*+.^_`|~-]+/y;
  const read = (re: RegExp, at: number) => { re.lastIndex = at; const m = re.exec(header); return m ? m[0] : undefined; };
  let i = 0;
  while (i < header.length) {
    while (i < header.length && /[\s,]/.test(header[i]!)) i++;
    const name = read(token, i);
    if (!name) break;
    i += name.length;
    let j = i;
    while (header[j] === ' ' || header[j] === '\t') j++;
    if (header[j] !== '=') { out.push({ scheme: name.toLowerCase(), params: {} }); continue; }
    i = j + 1;
    while (header[i] === ' ' || header[i] === '\t') i++;
    let value = '';
    if (header[i] === '"') {
      for (i++; i < header.length && header[i] !== '"'; i++) value += header[i] === '\\' ? header[++i] ?? '' : header[i];
      i++;
    } else {
      value = read(/[^,\s]*/y, i) ?? '';
      i += value.length;
    }
    const cur = out[out.length - 1];
    if (cur) cur.params[name.toLowerCase()] = value;
  }
  return out;
}

export const basicHeader = (c: StaticCredentials) => `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;

interface Cached { header: string; until: number }
type Remembered = { scheme: 'basic' } | { scheme: 'other'; challenge: Challenge };

export interface UpstreamAuthOptions {
  hook?: UpstreamAuthHook;
  credentials(origin: string): StaticCredentials | null;
  /** a small GET for the hook (token services): no slot, body capped by the caller */
  get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string>; body: Buffer }>;
  /** whether the hook may contact this URL (realm named by an upstream's challenge) */
  allowed(url: URL, origin: string): boolean;
  log?: { warn(msg: string, f?: Record<string, unknown>): void };
  max?: number;
  now?: () => number;
}

export class UpstreamAuth {
  private readonly remembered = new Map<string, Remembered>();
  private readonly answers = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<Cached | null>>();
  private readonly max: number;
  private readonly now: () => number;

  constructor(private readonly o: UpstreamAuthOptions) {
    this.max = o.max ?? 2048;
    this.now = o.now ?? Date.now;
  }

  /** the header to send before any challenge: a static bearer token, or what the origin asked for last time */
  async preemptive(origin: string, scope: string | undefined): Promise<string | undefined> {
    const creds = this.o.credentials(origin);
    if (creds?.type === 'bearer') return `Bearer ${creds.token ?? ''}`;
    const r = this.remembered.get(origin);
    if (!r) return undefined;
    if (r.scheme === 'basic') return creds?.type === 'basic' ? basicHeader(creds) : undefined;
    const challenge = scope !== undefined ? { scheme: r.challenge.scheme, params: { ...r.challenge.params, scope } } : r.challenge;
    return (await this.answer(origin, challenge, creds))?.header;
  }

  /** after a 401: the header for the one retry, or undefined (nothing better to send than `sent`) */
  async retry(origin: string, wwwAuthenticate: string, scope: string | undefined, sent: string | undefined): Promise<string | undefined> {
    const creds = this.o.credentials(origin);
    const challenges = parseChallenges(wwwAuthenticate);
    const other = this.o.hook ? challenges.find((c) => c.scheme !== 'basic') : undefined;
    if (other) {
      const challenge = other.params.scope === undefined && scope !== undefined ? { ...other, params: { ...other.params, scope } } : other;
      this.remembered.set(origin, { scheme: 'other', challenge: { scheme: other.scheme, params: { ...other.params, scope: '' } } });
      const key = this.keyOf(challenge, creds);
      const cached = this.answers.get(key);
      if (cached && cached.header === sent) this.answers.delete(key); // refused: ask for a fresh one
      const a = await this.answer(origin, challenge, creds);
      return a && a.header !== sent ? a.header : undefined;
    }
    if (challenges.some((c) => c.scheme === 'basic') && creds?.type === 'basic') {
      this.remembered.set(origin, { scheme: 'basic' });
      const h = basicHeader(creds);
      return h !== sent ? h : undefined;
    }
    return undefined;
  }

  /** answers obtained with other credentials (another registry entry) are never reused */
  private keyOf(c: Challenge, creds: StaticCredentials | null): string {
    const who = creds ? createHash('sha256').update(`${creds.type}\n${creds.username ?? ''}\n${creds.password ?? ''}\n${creds.token ?? ''}`).digest('hex') : '-';
    return `${c.scheme}\n${c.params.realm ?? ''}\n${c.params.service ?? ''}\n${c.params.scope ?? ''}\n${who}`;
  }

  private answer(origin: string, challenge: Challenge, creds: StaticCredentials | null): Promise<Cached | null> {
    const key = this.keyOf(challenge, creds);
    const hit = this.answers.get(key);
    if (hit && hit.until > this.now()) { this.answers.delete(key); this.answers.set(key, hit); return Promise.resolve(hit); }
    let p = this.inFlight.get(key);
    if (p) return p;
    p = this.fetch(origin, challenge, creds).then((a) => {
      if (a) {
        this.answers.set(key, a);
        while (this.answers.size > this.max) this.answers.delete(this.answers.keys().next().value!);
      }
      return a;
    }, (e: Error) => { this.o.log?.warn('upstream authentication failed', { upstream: new URL(origin).host, err: e.message }); return null; })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async fetch(origin: string, challenge: Challenge, credentials: StaticCredentials | null): Promise<Cached | null> {
    if (!this.o.hook) return null;
    const started = this.now();
    const a = await this.o.hook({
      challenge, origin, credentials, scope: challenge.params.scope || undefined,
      get: (url, headers = {}) => {
        const u = new URL(url);
        if (!this.o.allowed(u, origin)) return Promise.reject(new Error(`authentication target ${u.host} not allowed`));
        return this.o.get(u.toString(), headers);
      },
    });
    if (!a) return null;
    const lifetime = a.lifetimeMs ?? 60_000;
    const from = a.issuedAt !== undefined && a.issuedAt <= started + 5_000 ? a.issuedAt : started;
    return { header: a.header, until: from + lifetime * 0.9 };
  }
}
