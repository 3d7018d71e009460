// Connect-time SSRF guard: a target allowed only because its host is public (a learned
// origin, a `redirects: 'public'` target) is checked on the address each new connection really uses. A
// name that resolved public when it was learned or checked may resolve private a moment later (DNS
// rebinding with a short TTL): checking the name once is not enough.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import { isPrivateAddress } from './public-host.js';

export const PRIVATE_ADDRESS = 'ERR_PRIVATE_ADDRESS';

export class PrivateAddressError extends Error {
  readonly code = PRIVATE_ADDRESS;
  constructor(readonly host: string, readonly addresses: string[]) {
    super(`${host} resolves to ${addresses.join(', ') || 'no address'}, not a public address: connection refused (SSRF guard)`);
  }
}

type Resolve = (host: string, options: LookupOptions & { all: true }, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** a `lookup` for net/tls connect that drops private addresses and fails when none is left */
export function publicOnlyLookup(resolve: Resolve = dnsLookup as Resolve) {
  return (host: string, options: LookupOptions, cb: LookupCallback): void => {
    resolve(host, { ...options, all: true }, (err, addrs) => {
      if (err) { cb(err, ''); return; }
      const ok = addrs.filter((a) => !isPrivateAddress(a.address));
      if (!ok.length) { cb(new PrivateAddressError(host, addrs.map((a) => a.address)), ''); return; }
      if (options.all) cb(null, ok);
      else cb(null, ok[0]!.address, ok[0]!.family);
    });
  };
}

/**
 * undici connector for public-only targets: private literals are refused before connecting, names resolve
 * through publicOnlyLookup, and the socket's remote address is checked again once connected (before any
 * request byte is written), so every connection a pool keeps was checked when it was made.
 */
export function publicOnlyConnector(opts: buildConnector.BuildOptions, lookup: ReturnType<typeof publicOnlyLookup> = publicOnlyLookup()): buildConnector.connector {
  const base = buildConnector({ ...opts, lookup } as buildConnector.BuildOptions);
  return (o, cb) => {
    const host = o.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && isPrivateAddress(host)) { cb(new PrivateAddressError(host, [host]), null); return; }
    base(o, (err, socket) => {
      if (err || !socket) { cb(err ?? new Error('no socket'), null); return; }
      const addr = socket.remoteAddress;
      if (!addr || isPrivateAddress(addr)) { socket.destroy(); cb(new PrivateAddressError(host, [addr ?? 'unknown']), null); return; }
      cb(null, socket);
    });
  };
}

/** the guard's refusal inside an undici error, if that is what failed */
export function privateAddressRefusal(err: unknown): PrivateAddressError | undefined {
  for (let e = err as { code?: string; cause?: unknown } | undefined, i = 0; e && i < 4; e = e.cause as typeof e, i++) {
    if (e instanceof PrivateAddressError || e.code === PRIVATE_ADDRESS) return e as PrivateAddressError;
  }
  return undefined;
}
