// A token service for the distribution registry's `auth: token` mode (the registry ships none).
// Checks basic credentials, grants the requested scopes (anonymous callers get `pull` only when
// allowed) and signs an RS256 JWT whose `x5c` header holds a certificate made by `openssl req -x509`
// at start. Every token request is recorded, so tests can count them per scope.
import { createServer, type Server } from 'node:http';
import { createPrivateKey, sign, randomUUID, X509Certificate, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { track } from '../cleanup.js';

export interface TokenRequest { service: string; scopes: string[]; user?: string; at: number }
export interface TokenIssuer {
  url: string; realm: string; certFile: string; issuer: string; service: string;
  requests: TokenRequest[];
  /** token requests that asked for this scope */
  countScope(scope: string): number;
  close(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export async function startTokenIssuer(o: { dir: string; users: Record<string, string>; anonymousPull?: boolean; expiresIn?: number; service?: string; issuer?: string }): Promise<TokenIssuer> {
  const keyFile = join(o.dir, 'issuer-key.pem'), certFile = join(o.dir, 'issuer-cert.pem');
  const issuer = o.issuer ?? 'fixture-issuer', service = o.service ?? 'fixture';
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${issuer}`], { stdio: 'pipe' });
  const key: KeyObject = createPrivateKey(readFileSync(keyFile));
  const x5c = new X509Certificate(readFileSync(certFile)).raw.toString('base64');
  const requests: TokenRequest[] = [];

  const issue = (sub: string, access: { type: string; name: string; actions: string[] }[], lifetime: number): string => {
    const now = Math.floor(Date.now() / 1000);
    const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [x5c] }));
    const body = b64url(JSON.stringify({ iss: issuer, sub, aud: service, exp: now + lifetime, nbf: now - 10, iat: now, jti: randomUUID(), access }));
    return `${head}.${body}.${b64url(sign('RSA-SHA256', Buffer.from(`${head}.${body}`), key))}`;
  };

  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname !== '/token') { res.writeHead(404).end(); return; }
    let user: string | undefined;
    const a = req.headers.authorization;
    if (a?.startsWith('Basic ')) {
      const [name, pass] = Buffer.from(a.slice(6), 'base64').toString().split(':');
      if (!name || o.users[name] !== pass) { res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"wrong credentials"}'); return; }
      user = name;
    }
    const scopes = u.searchParams.getAll('scope');
    requests.push({ service: u.searchParams.get('service') ?? '', scopes, user, at: Date.now() });
    const access = scopes.map((s) => {
      const [type, ...rest] = s.split(':');
      const actions = rest.pop()!.split(',');
      const granted = user ? actions : o.anonymousPull ? actions.filter((x) => x === 'pull') : [];
      return { type: type!, name: rest.join(':'), actions: granted };
    });
    const lifetime = o.expiresIn ?? 300;
    const token = issue(user ?? '', access, lifetime);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: lifetime, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;
  const close = () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
  track(close);
  return {
    url, realm: `${url}/token`, certFile, issuer, service, requests, close,
    countScope: (scope) => requests.filter((r) => r.scopes.includes(scope)).length,
  };
}
