// One pypi-mode instance (`pypi` at /pypi) in front of a fixture index: the setup pypi tests share.
import { startProxy, type ProxyHandle } from './launcher.js';
import { singleInstanceConfig } from './single-instance.js';

export { metricValue } from './single-instance.js';

export interface PypiProxyOptions {
  upstream: string;
  /** lines of the pypi block after `upstream` (indented 6 spaces) */
  pypi?: string;
}

export async function startPypiProxy(o: PypiProxyOptions): Promise<{ proxy: ProxyHandle; X: string; I: string }> {
  const proxy = await startProxy({ config: singleInstanceConfig({ mode: 'pypi', block: `      upstream: ${o.upstream}\n${o.pypi ?? ''}` }) });
  const X = `${proxy.url}/pypi`;
  return { proxy, X, I: `${X}/simple` };
}
