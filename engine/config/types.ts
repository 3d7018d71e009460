// The effective configuration after loading, validation and defaults.
// Durations are milliseconds (Infinity = never/forever), sizes are bytes (Infinity = unlimited).

export interface TransportConfig {
  proxy?: string;
  ua: string;
  dial_timeout: number;
  header_timeout: number;
  idle_body_timeout: number;
  max_request_duration: number;
  max_idle_conns: number;
  max_conns_per_host: number;
  allow_hosts: string[];
  ca_file?: string;
  auth?: { type: 'basic' | 'bearer' | 'none'; username?: string; password?: string; token?: string };
  forward_authorization: boolean;
  health: HealthConfig;
}

export interface HealthConfig {
  enabled: boolean;
  evaluation_window: number;
  trip_rate: number;
  degrade_rate: number;
  degrade_latency: number;
  canary_cooldown: number;
  canary_step: number;
  min_weight: number;
  consecutive_failures: number;
}

/** storage.s3: the object store of an s3:// backend (local_cache_size in bytes; local_dir as written, `~/` expanded where it is used) */
export interface S3Settings {
  endpoint?: string;
  region: string;
  force_path_style: boolean;
  access_key_id?: string;
  secret_access_key?: string;
  local_dir: string;
  local_cache_size: number;
}

export interface AccessConfig { tokens: string[]; anonymous: boolean }

export interface InstanceConfig {
  name: string;
  enabled: boolean;
  mode: string;
  /** the mode block with schema defaults applied; durations/sizes still as written (strings) */
  block: Record<string, unknown>;
  /** YAML path of the mode block, e.g. "instances[1].file" */
  path: string;
  access?: AccessConfig;
  max_size?: number;
  negative_ttl?: number;
  offline?: boolean;
}

export interface EffectiveConfig {
  file?: string;
  server: {
    bind: string;
    backend: string;
    public_url?: string;
    trust_forwarded: boolean;
    trusted_proxies: string[];
    access?: AccessConfig;
    status: { disk_sample_interval: number; disk_history_window: number; event_limit: number; token?: string };
    admin: { token?: string };
    limits: {
      header_timeout: number; request_timeout: number; keep_alive_timeout: number; client_idle_timeout: number;
      max_url_bytes: number; max_header_bytes: number; max_headers: number; max_connections: number; shutdown_timeout: number;
    };
  };
  metrics: { path: string; token?: string };
  storage: {
    gc: { blob: number };
    cleanup: { dry_run: boolean; batch_size: number };
    orphan_policy: string;
    download: {
      max_active: number; max_active_per_instance: number; max_active_per_host: number;
      request_interval_per_host: number; queue_wait: number; max_queue: number;
      detached_fill_budget: number; max_cooldown: number;
    };
    max_size: number; min_free: number; max_object_size: number;
    negative_ttl: number; offline: boolean;
    /** set when server.backend is s3://… */
    s3?: S3Settings;
  };
  scheduler: { max_concurrent: number };
  log: { level: 'error' | 'warn' | 'info' | 'debug'; format: 'json' | 'text'; access: boolean };
  plugins: string[];
  instances: InstanceConfig[];
  /** several nodes sharing one cache (engine/cluster); undefined: a single node */
  cluster?: ClusterConfig;
  /** secret values to redact from logs and outputs */
  secrets: string[];
}

export interface ClusterConfig {
  /** this node's URL (an origin, no trailing slash), one of nodes */
  self: string;
  nodes: string[];
  redis?: string;
  probe_interval: number; probe_timeout: number; down_after: number; connect_timeout: number;
  lease_ttl: number; lease_wait: number; redis_timeout: number;
}
