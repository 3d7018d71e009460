// The cluster block: what the schema cannot say (self is one of nodes, node URLs are origins, a Redis URL that
// parses), and the typed settings from the validated block.
import type { ClusterConfig } from '../config/types.js';
import { parseDuration } from '../config/values.js';

export interface ClusterIssue { path: (string | number)[]; message: string }

/** a node URL as the ring names it: the origin, lower-case, no trailing slash */
export const nodeName = (url: string): string => new URL(url).origin;

export function checkCluster(raw: Record<string, unknown>, serverBind: string): { errors: ClusterIssue[]; warnings: ClusterIssue[] } {
  const errors: ClusterIssue[] = [];
  const warnings: ClusterIssue[] = [];
  const nodes = Array.isArray(raw.nodes) ? raw.nodes.map(String) : [];
  const seen = new Map<string, number>();
  nodes.forEach((n, i) => {
    let u: URL;
    try { u = new URL(n); } catch { return; } // the schema's url format reports it
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return;
    if (u.pathname !== '/' || u.search || u.username || u.password) errors.push({ path: ['cluster', 'nodes', i], message: `a node is an origin (scheme://host:port), got "${n}"` });
    const name = u.origin;
    if (seen.has(name)) errors.push({ path: ['cluster', 'nodes', i], message: `node ${name} is listed twice (also nodes[${seen.get(name)}])` });
    seen.set(name, i);
  });
  const self = typeof raw.self === 'string' ? raw.self : '';
  let selfName: string | undefined;
  try { selfName = new URL(self).origin; } catch { /* the schema reports it */ }
  if (selfName && !seen.has(selfName)) errors.push({ path: ['cluster', 'self'], message: `self ${selfName} is not one of cluster.nodes (${[...seen.keys()].join(', ')})` });
  if (selfName) {
    const port = new URL(selfName).port || (selfName.startsWith('https:') ? '443' : '80');
    const bindPort = /:(\d+)$/.exec(serverBind)?.[1];
    if (bindPort && bindPort !== port) warnings.push({ path: ['cluster', 'self'], message: `self's port ${port} is not server.bind's port ${bindPort}: fine behind a port mapping, else the other nodes cannot reach this one` });
  }
  if (typeof raw.redis === 'string') {
    try {
      const u = new URL(raw.redis);
      if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') errors.push({ path: ['cluster', 'redis'], message: `must be a redis:// or rediss:// URL, got scheme ${u.protocol}` });
      else if (!u.hostname) errors.push({ path: ['cluster', 'redis'], message: 'the Redis URL needs a host' });
    } catch { errors.push({ path: ['cluster', 'redis'], message: 'must be a redis://host:port URL' }); }
  }
  if (nodes.length === 1 && !errors.length) warnings.push({ path: ['cluster', 'nodes'], message: 'a cluster of one node: nothing is forwarded' });
  return { errors, warnings };
}

/** the effective settings of a validated block (schema defaults applied) */
export function clusterSettings(raw: Record<string, unknown>): ClusterConfig {
  const dur = (k: string) => parseDuration(String(raw[k]));
  return {
    self: nodeName(String(raw.self)),
    nodes: (raw.nodes as string[]).map(nodeName),
    redis: typeof raw.redis === 'string' ? raw.redis : undefined,
    probe_interval: dur('probe_interval'), probe_timeout: dur('probe_timeout'), down_after: Number(raw.down_after),
    connect_timeout: dur('connect_timeout'), lease_ttl: dur('lease_ttl'), lease_wait: dur('lease_wait'), redis_timeout: dur('redis_timeout'),
  };
}
