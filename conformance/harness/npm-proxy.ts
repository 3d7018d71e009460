// One npm-mode instance (`npm` at /npm) in front of a fixture registry: the setup npm tests share.
import { startProxy, type ProxyHandle } from './launcher.js';
import { singleInstanceConfig } from './single-instance.js';

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
  return singleInstanceConfig({ mode: 'npm', server: o.server, top: o.top, block: `      upstream: ${o.upstream}\n${o.npm ?? ''}` });
}

export async function startNpmProxy(o: NpmProxyOptions): Promise<{ proxy: ProxyHandle; R: string }> {
  // generous start-up time: these tests share two cores with up to 30 npm processes
  const proxy = await startProxy({ config: npmConfig(o), env: o.env });
  return { proxy, R: `${proxy.url}/npm` };
}
