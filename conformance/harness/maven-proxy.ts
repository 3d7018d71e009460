// One maven-mode instance (`maven` at /maven) in front of a fixture repository: the setup maven tests share.
import { startProxy, type ProxyHandle } from './launcher.js';

/** `extra`: lines of the maven block after `upstream` (indented 6 spaces) */
export function mavenConfig(upstream: string, extra = ''): string {
  return `
server:
  bind: "127.0.0.1:\${PORT}"
  backend: "\${BACKEND}"
  limits: { shutdown_timeout: 1s }
metrics: { path: /metrics }
instances:
  - name: maven
    enabled: true
    maven:
      route: { path: /maven }
      upstream: ${upstream}
${extra}
`;
}

export async function startMavenProxy(upstream: string, extra = ''): Promise<{ proxy: ProxyHandle; X: string }> {
  const proxy = await startProxy({ config: mavenConfig(upstream, extra) });
  return { proxy, X: `${proxy.url}/maven` };
}
