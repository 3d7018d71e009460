// One pypi-mode instance (`pypi` at /pypi) in front of a fixture index: the setup pypi tests share.
import { startProxy, type ProxyHandle } from './launcher.js';

export interface PypiProxyOptions {
  upstream: string;
  /** lines of the pypi block after `upstream` (indented 6 spaces) */
  pypi?: string;
}

export async function startPypiProxy(o: PypiProxyOptions): Promise<{ proxy: ProxyHandle; X: string; I: string }> {
  const proxy = await startProxy({
    config: `
server:
  bind: "127.0.0.1:\${PORT}"
  backend: "\${BACKEND}"
  limits: { shutdown_timeout: 1s }
metrics: { path: /metrics }
instances:
  - name: pypi
    enabled: true
    pypi:
      route: { path: /pypi }
      upstream: ${o.upstream}
${o.pypi ?? ''}
`,
  });
  const X = `${proxy.url}/pypi`;
  return { proxy, X, I: `${X}/simple` };
}

/** a counter's value on the proxy's metrics page (0 when absent) */
export async function metricValue(proxyUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${proxyUrl}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const lbl = line.slice(name.length + 1, line.indexOf('}'));
    if (want.every((w) => lbl.split(',').includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
