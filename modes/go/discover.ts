// Embedded default (no configuration file): a go instance when this machine's go command is configured for a
// module proxy (`go env GOPROXY`, read at run time), with that list's http(s) proxies in order. The toolchain's
// own default list (what `go env GOPROXY` says with no GOPROXY variable and no go env file) is not a choice
// this machine made, so it adds nothing.
import { execFile } from 'node:child_process';

export interface GoDiscoverOptions {
  env?: NodeJS.ProcessEnv;
  /** the go executable; null reads only the environment's GOPROXY */
  go?: string | null;
}

/** the http(s) proxies of a GOPROXY list (`direct`, `off` and file:// entries are the client's own business) */
export function proxiesOf(goproxy: string): string[] {
  return goproxy.split(/[,|]/).map((p) => p.trim()).filter((p) => /^https?:\/\/[^/]/.test(p)).map((p) => p.replace(/\/+$/, ''));
}

export async function discoverGo(o: GoDiscoverOptions = {}): Promise<{ name: string; block: Record<string, unknown> }[]> {
  const env = o.env ?? process.env;
  const go = o.go === null ? undefined : o.go ?? 'go';
  const configured = go ? await askGo(go, env) : undefined;
  let goproxy = configured ?? env.GOPROXY ?? '';
  if (go && configured !== undefined) {
    const { GOPROXY: _unset, ...rest } = env;
    if (configured === await askGo(go, { ...rest, GOENV: 'off' })) goproxy = '';
  }
  const proxies = proxiesOf(goproxy);
  return proxies.length ? [{ name: 'go', block: { route: { path: '/go' }, proxies } }] : [];
}

function askGo(go: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(go, ['env', 'GOPROXY'], { env, timeout: 20_000, windowsHide: true }, (err, stdout) => resolve(err ? undefined : String(stdout).trim()));
  });
}
