// One npm-mode instance (`npm` at /npm) in front of a fixture registry: the setup npm tests share.
import { startProxy, type ProxyHandle } from './launcher.js';

export interface NpmProxyOptions {
  upstream: string;
  /** lines of the npm block after `upstream` (indented 6 spaces) */
  npm?: string;
  /** extra YAML under `server:` (indented 2 spaces) */
  server?: string;
  top?: string;
  env?: NodeJS.ProcessEnv;
}

export function npmConfig(o: NpmProxyOptions): string {
  return `
server:
  bind: "127.0.0.1:\${PORT}"
  backend: "\${BACKEND}"
  limits: { shutdown_timeout: 1s }
${o.server ?? ''}
metrics: { path: /metrics }
${o.top ?? ''}
instances:
  - name: npm
    enabled: true
    npm:
      route: { path: /npm }
      upstream: ${o.upstream}
${o.npm ?? ''}
`;
}

export async function startNpmProxy(o: NpmProxyOptions): Promise<{ proxy: ProxyHandle; R: string }> {
  // generous start-up time: these tests share two cores with up to 30 npm processes
  const proxy = await startProxy({ config: npmConfig(o), env: o.env });
  return { proxy, R: `${proxy.url}/npm` };
}
