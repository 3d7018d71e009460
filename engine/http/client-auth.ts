// Who may use an instance: its access tokens (the instance's, else the server's), read from a request the way
// the mode's clients present them (ModeDefinition.clientAuth), and the 401 that asks for one.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccessConfig } from '../config/types.js';
import type { ClientAuth, ModeConfig } from '../mode.js';

const sha = (s: string) => createHash('sha256').update(s).digest();

export function tokenMatches(presented: string | undefined, tokens: string[]): boolean {
  if (!presented) return false;
  const p = sha(presented);
  let ok = false;
  for (const t of tokens) if (timingSafeEqual(p, sha(t))) ok = true;
  return ok;
}

/** the token of an Authorization value: a Bearer token or a Basic password */
export function presentedToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const [scheme, value] = authorization.split(/\s+/, 2);
  if (!value) return undefined;
  if (/^bearer$/i.test(scheme!)) return value;
  if (/^basic$/i.test(scheme!)) {
    const dec = Buffer.from(value, 'base64').toString('utf8');
    const i = dec.indexOf(':');
    return i < 0 ? undefined : dec.slice(i + 1);
  }
  return undefined;
}

export interface AccessRequest { authorization?: string; /** mount-relative, no leading '/' */ path: string; publicBase: string }
export type AccessVerdict = { ok: true } | { ok: false; message: string; headers: Record<string, string> };

export function accessVerdict(access: AccessConfig | undefined, auth: ClientAuth | undefined, block: ModeConfig, instance: string, req: AccessRequest): AccessVerdict {
  const tokens = access?.tokens ?? [];
  if (tokens.length === 0 && !auth?.required?.(block)) return { ok: true };
  if (tokens.length === 0 && auth?.open?.(req.path)) return { ok: true };
  const presented = req.authorization === undefined ? undefined : auth?.token ? auth.token(req.authorization) : presentedToken(req.authorization);
  if (presented === undefined && access?.anonymous) return { ok: true };
  // without configured tokens a mode that requires one accepts any non-empty token (warned about at start)
  if (tokens.length ? tokenMatches(presented, tokens) : !!presented) return { ok: true };
  return {
    ok: false, message: presented === undefined ? 'credentials required' : 'wrong credentials',
    headers: auth?.challenge?.(req.publicBase) ?? { 'www-authenticate': `Basic realm="cache-proxy ${instance}"` },
  };
}
