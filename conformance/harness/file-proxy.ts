// One file-mode instance (`files` at /files) in front of the given upstreams: the setup most scenarios share.
import { startProxy, type ProxyHandle } from './launcher.js';

export interface FileProxyOptions {
  upstreams: string[];
  /** extra top-level YAML */
  top?: string;
  /** lines of the file block after `upstreams` (indented 6 spaces) */
  file?: string;
  /** extra instances (YAML list items, indented 2 spaces) */
  instances?: string;
  env?: NodeJS.ProcessEnv;
}

export function fileConfig(o: FileProxyOptions): string {
  return `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
${o.top ?? ''}
instances:
  - name: files
    enabled: true
    file:
      route: { path: /files }
      upstreams: [${o.upstreams.join(', ')}]
${o.file ?? ''}
${o.instances ?? ''}`;
}

export async function startFileProxy(o: FileProxyOptions): Promise<{ proxy: ProxyHandle; X: string }> {
  const proxy = await startProxy({ config: fileConfig(o), env: o.env });
  return { proxy, X: `${proxy.url}/files` };
}
