// Proxy nodes as a `file` instance in front of one origin, each on its own disk or all on one shared s3rver
// bucket, alone (no `cluster` block) or as a cluster of several nodes with Redis leases.
import { startProxy, freePort, type ProxyHandle } from './launcher.js';
import type { S3rverHandle } from './s3rver.js';

export interface NodeOptions { origin: string; s3?: { server: S3rverHandle; prefix: string }; cluster?: { self: string; nodes: string[]; redis: string } }

export function nodeConfig(o: NodeOptions): string {
  const c = o.cluster;
  return `
${o.s3 ? `server: { bind: "127.0.0.1:\${PORT}", backend: "s3://cache/${o.s3.prefix}" }
storage:
  s3:
    endpoint: ${o.s3.server.endpoint}
    force_path_style: true
    access_key_id: ${o.s3.server.accessKeyId}
    secret_access_key: ${o.s3.server.secretAccessKey}
    local_dir: "\${BACKEND}/local"
    local_cache_size: 512MiB
` : `server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
`}log: { level: warn }
${c ? `cluster:
  self: ${c.self}
  nodes: [${c.nodes.join(', ')}]
  redis: ${c.redis}
  probe_interval: 300ms
  probe_timeout: 2s
  down_after: 2
` : ''}instances:
  - name: files
    enabled: true
    file:
      route: { path: /files }
      upstreams: [${o.origin}]
      default_policy: immutable
      busy_policy: join
`;
}

/** `n` cluster nodes (single-process, so a test can SIGKILL one) */
export async function startNodes(n: number, o: Omit<NodeOptions, 'cluster'> & { redis: string }): Promise<ProxyHandle[]> {
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const nodes: ProxyHandle[] = [];
  for (const [i, port] of ports.entries()) nodes.push(await startProxy({ port, config: nodeConfig({ ...o, cluster: { self: urls[i]!, nodes: urls, redis: o.redis } }), args: ['--no-supervisor'] }));
  return nodes;
}

export interface ClusterStatus { healthy: string[]; forwarded: number; redis: { state: string; leases: Record<string, number> } }
export async function clusterStatus(n: ProxyHandle): Promise<ClusterStatus> {
  return (await fetch(`${n.url}/-/status/cluster`)).json() as Promise<ClusterStatus>;
}
