// One maven-mode instance (`maven` at /maven) in front of a fixture repository: the setup maven tests share.
import { startProxy, type ProxyHandle } from './launcher.js';
import { singleInstanceConfig } from './single-instance.js';

/** `extra`: lines of the maven block after `upstream` (indented 6 spaces) */
export function mavenConfig(upstream: string, extra = ''): string {
  return singleInstanceConfig({ mode: 'maven', block: `      upstream: ${upstream}\n${extra}` });
}

export async function startMavenProxy(upstream: string, extra = ''): Promise<{ proxy: ProxyHandle; X: string }> {
  const proxy = await startProxy({ config: mavenConfig(upstream, extra) });
  return { proxy, X: `${proxy.url}/maven` };
}
