// Every engine metric family, in one prom-client registry.
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './paths.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const c = (name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers: [registry] });
const g = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
const h = (name: string, help: string, labelNames: string[], buckets?: number[]) =>
  new Histogram({ name, help, labelNames, registers: [registry], ...(buckets ? { buckets } : {}) });

const TIME = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export const m = {
  requests: c('cache_proxy_requests_total', 'Client requests', ['instance', 'mode', 'kind', 'method', 'cache', 'status']),
  requestDuration: h('cache_proxy_request_duration_seconds', 'Client request duration', ['instance', 'kind', 'cache'], TIME),
  firstByte: h('cache_proxy_response_first_byte_seconds', 'Time to first response byte', ['instance', 'kind', 'cache'], TIME),
  responseBytes: c('cache_proxy_response_bytes_total', 'Response body bytes written', ['instance', 'kind', 'cache']),
  upstreamRequests: c('cache_proxy_upstream_requests_total', 'Upstream requests', ['instance', 'upstream', 'method', 'status']),
  upstreamDuration: h('cache_proxy_upstream_duration_seconds', 'Upstream time to response head', ['instance', 'upstream'], TIME),
  upstreamBytes: c('cache_proxy_upstream_bytes_total', 'Upstream body bytes received', ['instance', 'upstream']),
  upstreamResumes: c('cache_proxy_upstream_resumes_total', 'Interrupted upstream bodies continued with a range request', ['instance', 'upstream']),
  upstreamErrors: c('cache_proxy_upstream_errors_total', 'Upstream errors', ['instance', 'upstream', 'reason']),
  upstreamInFlight: g('cache_proxy_upstream_in_flight', 'Upstream requests in flight', ['upstream']),
  upstreamCooldown: g('cache_proxy_upstream_cooldown_seconds', 'Remaining cooldown of an upstream origin', ['upstream']),
  queueWaiting: g('cache_proxy_upstream_queue_waiting', 'Requests waiting for an upstream slot', ['scope']),
  queueWait: h('cache_proxy_upstream_queue_wait_seconds', 'Time waited for an upstream slot', ['scope'], TIME),
  queueRejections: c('cache_proxy_upstream_queue_rejections_total', 'Requests refused for lack of an upstream slot', ['instance', 'reason']),
  upstreamHealth: g('cache_proxy_upstream_health', 'Upstream health: 0 closed 1 degraded 2 open 3 half-open', ['instance', 'upstream']),
  circuitEvents: c('cache_proxy_circuit_breaker_events_total', 'Circuit breaker transitions', ['instance', 'upstream', 'event']),
  fillsInFlight: g('cache_proxy_fills_in_flight', 'Fills in progress', ['instance']),
  fills: c('cache_proxy_fills_total', 'Completed fills by result', ['instance', 'kind', 'result']),
  joins: c('cache_proxy_singleflight_joins_total', 'Requests that joined a running fill or revalidation', ['instance', 'kind', 'via']),
  verifyFailures: c('cache_proxy_verify_failures_total', 'Bodies that failed verification', ['instance', 'kind']),
  verifySkipped: c('cache_proxy_verify_skipped_total', 'Bodies served unstored because their expected digest was unknown', ['instance', 'kind']),
  storageBytes: g('cache_proxy_storage_bytes', 'Bytes on disk per instance (records, state, mode data, blobs it owns); instance="_shared" is the rest: the sum is the backend\'s du -sb', ['instance']),
  storageEntries: g('cache_proxy_storage_entries', 'Entries of an instance', ['instance']),
  storageBlobBytes: g('cache_proxy_storage_blob_bytes', 'Bytes in blobs/'),
  storageFreeBytes: g('cache_proxy_storage_free_bytes', 'Free bytes on the backend filesystem'),
  storageLimitBytes: g('cache_proxy_storage_limit_bytes', 'storage.max_size (0 = unlimited)'),
  evictions: c('cache_proxy_evictions_total', 'Evicted entries', ['instance', 'reason']),
  evictedBytes: c('cache_proxy_evicted_bytes_total', 'Evicted bytes', ['instance', 'reason']),
  expired: c('cache_proxy_expired_total', 'Entries removed by expiry cleanup', ['instance']),
  blobGcDeleted: c('cache_proxy_blob_gc_deleted_total', 'Blobs deleted by GC', []),
  storageErrors: c('cache_proxy_storage_errors_total', 'Storage errors', ['op', 'code']),
  taskRuns: c('cache_proxy_scheduler_task_runs_total', 'Scheduler task runs', ['instance', 'task_type', 'result']),
  taskDuration: h('cache_proxy_scheduler_task_duration_seconds', 'Scheduler task duration', ['instance', 'task_type'], TIME),
  tasksRunning: g('cache_proxy_scheduler_tasks_running', 'Tasks running', ['task_type']),
  taskOverdue: g('cache_proxy_scheduler_task_overdue_seconds', 'How late a task started', ['instance', 'task_type']),
  buildInfo: g('cache_proxy_build_info', 'Build information', ['version', 'node']),
  workerRestarts: c('cache_proxy_worker_restarts_total', 'Times the supervisor restarted a dead worker process', []),
  clusterForwarded: c('cache_proxy_cluster_forwarded_total', 'Misses sent to the node that owns the key (result: forwarded, owner_unreachable, holder)', ['instance', 'result']),
  clusterLeaseWaits: c('cache_proxy_cluster_lease_waits_total', "Misses that found another node's fill lease in Redis (result: forwarded, filled, timeout, taken_over)", ['result']),
  clusterOwnerChanges: c('cache_proxy_cluster_owner_changes_total', 'Changes of the set of healthy nodes (keys then move between owners)', []),
  clusterNodeUp: g('cache_proxy_cluster_node_up', 'A cluster node as this node sees it: 1 up, 0 down', ['node']),
};

export const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
m.buildInfo.set({ version, node: process.versions.node }, 1);

/** mode metric families (ctx.count, ctx.metrics): `cache_proxy_*`, get-or-create by name, so instances of one mode share a family */
type Family = Counter<string> | Histogram<string> | Gauge<string>;
const modeFamilies = new Map<string, Family>();
/** the family of that name, made on first use; the same name asked as another type is a mode's bug */
function modeFamily<F extends Family>(name: string, type: abstract new (...a: never[]) => F, make: () => F): F {
  if (!/^cache_proxy_[a-z0-9_]+$/.test(name)) throw new Error(`mode metric name ${name} must match cache_proxy_[a-z0-9_]+`);
  let f = modeFamilies.get(name);
  if (!f) { f = make(); modeFamilies.set(name, f); }
  if (!(f instanceof type)) throw new Error(`mode metric ${name} is already registered as another type`);
  return f;
}
export const modeCounter = (name: string, help: string, labelNames: string[] = ['instance']): Counter<string> => modeFamily(name, Counter, () => c(name, help, labelNames));
export const modeGauge = (name: string, help: string, labelNames: string[]): Gauge<string> => modeFamily(name, Gauge, () => g(name, help, labelNames));
export const modeHistogram = (name: string, help: string, labelNames: string[]): Histogram<string> => modeFamily(name, Histogram, () => h(name, help, labelNames, TIME));
