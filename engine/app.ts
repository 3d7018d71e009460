// Wires the engine together: store, index, upstream client, instances, listeners, scheduler, status.
import { access, constants } from 'node:fs/promises';
import { withGroupedKinds, type ModeDefinition } from './mode.js';
import type { EffectiveConfig, TransportConfig } from './config/types.js';
import { parseDuration, expandHome } from './config/values.js';
import { withSchemaDefaults } from './config/schema.js';
import { Instance } from './instance.js';
import { listen, type Listener, type Mounted } from './http/server.js';
import { fetchThrough, handleInstance } from './pipeline.js';
import { forgetEntry } from './pipeline/entries.js';
import { hookContext } from './pipeline/hook-context.js';
import type { EngineCtx } from './pipeline/context.js';
import { createPipelineState } from './pipeline/state.js';
import type { ModeTasks } from './mode.js';
import { NegativeCache } from './cache/negative.js';
import { isNoSpace } from './cache/fs-store.js';
import { openStore } from './cache/open-store.js';
import { EntryIndex, SNAPSHOT_NAME } from './cache/entry-index.js';
import { expireCleanup, blobGc, evict } from './cache/maintenance.js';
import { MemoryBlobHolds } from './cache/holds.js';
import { BackendUsage } from './cache/disk-usage.js';
import { purgeEntries } from './purge.js';
import { sendError } from './http/respond.js';
import { Controllers } from './controller.js';
import { createUpstreamClient } from './upstream/client.js';
import { Scheduler } from './scheduler.js';
import { StatusBoard } from './status/status.js';
import { ClusterCoordinator } from './cluster/coordinator.js';
import { registry, m } from './metrics.js';
import { HotHits, hotKey } from './hot-hits.js';
import { settleWithin } from './wait.js';
import { configureLog, logger } from './log.js';
import { installWorkerHooks, signalReady } from './http/bind.js';
import { RESTARTS_ENV, WORKER_ENV } from './supervisor.js';

const HOUR = 3600_000;

export async function checkBackendWritable(written: string): Promise<string | null> {
  const dir = expandHome(written);
  try {
    await access(dir, constants.W_OK);
    return null;
  } catch {
    let parent = dir;
    while (parent.includes('/') && parent !== '/') {
      parent = parent.slice(0, parent.lastIndexOf('/')) || '/';
      try { await access(parent, constants.W_OK); return null; } catch { /* go up */ }
    }
    return `"${dir}" is not a writable directory and cannot be created`;
  }
}

/** the transport block of a mode block as the upstream client reads it; defaults come from the transport schema */
export function transportOf(block: Record<string, unknown>): TransportConfig {
  const t = withSchemaDefaults('cache-proxy/transport', (block.transport ?? {}) as Record<string, unknown>);
  const h = t.health as Record<string, unknown>;
  const dur = (v: unknown) => parseDuration(v as string);
  const num = (v: unknown) => v as number;
  return {
    proxy: typeof t.proxy === 'string' && t.proxy ? t.proxy : undefined,
    ua: t.ua as string,
    dial_timeout: dur(t.dial_timeout),
    header_timeout: dur(t.header_timeout),
    idle_body_timeout: dur(t.idle_body_timeout),
    max_request_duration: dur(t.max_request_duration),
    max_idle_conns: num(t.max_idle_conns),
    max_conns_per_host: num(t.max_conns_per_host),
    allow_hosts: (t.allow_hosts as string[] | undefined) ?? [],
    ca_file: typeof t.ca_file === 'string' ? t.ca_file : undefined,
    forward_authorization: t.forward_authorization === true,
    health: {
      enabled: h.enabled === true,
      evaluation_window: dur(h.evaluation_window),
      trip_rate: num(h.trip_rate),
      degrade_rate: num(h.degrade_rate),
      degrade_latency: dur(h.degrade_latency),
      canary_cooldown: dur(h.canary_cooldown),
      canary_step: num(h.canary_step),
      min_weight: num(h.min_weight),
      consecutive_failures: num(h.consecutive_failures),
    },
  };
}

export interface RunningEngine { listeners: Listener[]; stop(reason?: string): Promise<void> }

export async function startEngine(cfg: EffectiveConfig, modes: readonly ModeDefinition[]): Promise<RunningEngine> {
  configureLog({ level: cfg.log.level, format: cfg.log.format, secrets: cfg.secrets });
  const log = logger();
  const store = await openStore(cfg, { onRetry: (op, err, attempt) => log.warn('storage write retried: the store did not answer', { op, attempt, err: err.message }) });
  // plugins written with the first DSL's flat kind fields run unchanged
  const byName = new Map(modes.map((d) => [d.name, withGroupedKinds(d)]));
  const instances = cfg.instances.filter((i) => i.enabled).map((i) => new Instance(byName.get(i.mode)!, i));
  for (const i of instances) if (i.def.routes.length === 0) log.warn(`mode ${i.def.name} has no routes in this build: instance ${i.name} answers 404 to everything`, { instance: i.name });
  const index = new EntryIndex();
  const holds = new MemoryBlobHolds();
  // per-process request state: fields of this engine, never of a module
  const state = createPipelineState();
  const hot = new HotHits();
  index.onUnreferenced = (blob) => { state.smallBlobs.forget(blob); if (!holds.has(blob)) void store.blobs.delete(blob); };
  const busyKeys = new Set<string>();
  let ready = false;
  let shuttingDown = false;
  let degradedUntil = 0;
  const status = new StatusBoard(cfg, store.state, instances, async () => store.usage(), () => index.count());
  status.instanceBytes = (name) => index.bytes(name);
  // what the backend takes on disk, all of it, per instance (blobs by the entries that name them or the mode that holds them)
  const diskUsage = new BackendUsage(async (kinds) => {
    const owners = index.blobOwners();
    const held = holds.owners();
    return store.diskUsage((hex) => owners.get(hex) ?? held.get(hex), { kinds });
  });
  status.diskUsage = diskUsage;
  await status.load();
  const transports = new Map(instances.map((i) => [i.name, transportOf(i.block)]));
  const upstream = createUpstreamClient({
    download: cfg.storage.download,
    transportFor: (name: string) => transports.get(name) ?? transportOf({}),
    log,
    onEvent: (e) => status.event(e as Parameters<StatusBoard['event']>[0]),
  });
  const ctx: EngineCtx = {
    config: cfg, store, upstream, negative: new NegativeCache(), log, busyKeys, state, hot,
    fetchThrough: (inst, path, headers) => fetchThrough(ctx, inst, path, headers),
    faultEnospcAfter: process.env.CACHE_PROXY_FAULT_ENOSPC_AFTER ? Number(process.env.CACHE_PROXY_FAULT_ENOSPC_AFTER) : undefined,
    faultSlowOpenMs: process.env.CACHE_PROXY_FAULT_SLOW_OPEN_MS ? Number(process.env.CACHE_PROXY_FAULT_SLOW_OPEN_MS) : undefined,
    index: {
      added: (e) => { index.add(e); scheduleEvict(); },
      removed: (inst, keyHash) => index.remove(inst, keyHash),
      touched: (inst, keyHash) => index.touch(inst, keyHash),
      lastUsed: (inst, keyHash) => index.get(inst, keyHash)?.lastUsed,
      knownAbsent: (inst, keyHash) => index.knownAbsent(inst, keyHash),
    },
    isNoSpace,
    storeDegraded: () => Date.now() < degradedUntil,
    onNoSpace: (err) => {
      degradedUntil = Date.now() + 60_000;
      status.degradedUntil = degradedUntil;
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      m.storageErrors.inc({ op: 'write', code });
      status.event({ storage: 'fill', result: 'failed', reason_code: code, message: 'disk full: fills pass through without storing for 60 s' });
      log.error('storage write failed; serving without storing', { err: code });
      scheduleEvict();
    },
    event: (e) => status.event({ result: 'event', ...e } as Parameters<StatusBoard['event']>[0]),
  };
  // several nodes: a miss may be another node's to fetch (engine/cluster); a single node has no coordinator
  const cluster = cfg.cluster ? new ClusterCoordinator(cfg.cluster, log, (i) => !!(i.cfg.access ?? cfg.server.access)?.tokens?.length || !!i.def.clientAuth?.required?.(i.block)) : undefined;
  if (cluster) ctx.fills = cluster;

  const quotas = new Map(instances.filter((i) => i.cfg.max_size !== undefined).map((i) => [i.name, i.cfg.max_size!]));
  let evictTimer: NodeJS.Timeout | undefined;
  const runEvict = async () => {
    await index.ready;
    const r = await evict({ store, index, maxSize: cfg.storage.max_size, instanceQuotas: quotas, minFree: cfg.storage.min_free, busyKeys: (inst: string, keyHash: string) => busyKeys.has(`${inst}/${keyHash}`), onEvicted: (inst: string, keyHash: string) => forgetEntry(ctx, inst, keyHash) });
    return r;
  };
  function scheduleEvict(): void {
    if (evictTimer || (!Number.isFinite(cfg.storage.max_size) && quotas.size === 0 && cfg.storage.min_free <= 0)) return;
    evictTimer = setTimeout(() => { evictTimer = undefined; void runEvict().catch((e: Error) => log.error('eviction failed', { err: e.message })); }, 50);
  }

  const scheduler = new Scheduler({ store: store.state, maxConcurrent: cfg.scheduler.max_concurrent, onEvent: (e) => status.event(e) });
  await scheduler.load();
  ctx.tasks = (instance: string): ModeTasks => ({
    add: (t) => scheduler.add({ id: `${instance}:${t.type}:${t.target}`, instance, type: t.type, intervalMs: t.intervalMs, firstRunAt: t.firstRunInMs !== undefined ? Date.now() + t.firstRunInMs : undefined, run: t.run }),
    remove: (type, target) => scheduler.remove(`${instance}:${type}:${target}`, { forget: true }),
    trigger: (type, target) => scheduler.trigger(`${instance}:${type}:${target}`),
  });
  for (const inst of instances) {
    scheduler.add({
      id: `${inst.name}:expire_cleanup`, instance: inst.name, type: 'expire_cleanup', intervalMs: HOUR,
      run: async (signal) => {
        await index.ready;
        const r = await expireCleanup({ store, index, inst: inst.name, now: Date.now(), batchSize: cfg.storage.cleanup.batch_size, dryRun: cfg.storage.cleanup.dry_run, signal, log, onRemoved: (keyHash: string) => forgetEntry(ctx, inst.name, keyHash) });
        return r.removed > 0 ? 'updated' : 'unchanged';
      },
    });
  }
  for (const inst of instances) {
    for (const t of inst.def.tasks ?? []) {
      scheduler.add({
        id: `${inst.name}:${t.type}`, instance: inst.name, type: t.type, intervalMs: t.interval(inst.block),
        run: (signal) => t.run({ ...hookContext(ctx, inst, signal), log: logger({ instance: inst.name, task: t.type }) }),
      });
    }
  }
  scheduler.add({
    id: '_engine:blob_gc', instance: '_engine', type: 'blob_gc', intervalMs: cfg.storage.gc.blob,
    run: async (signal) => {
      await index.ready;
      const r = await blobGc({ store, index, signal, extraReferences: async () => holds.all(), inProgress: () => new Set<string>() });
      return r.deleted > 0 ? 'updated' : 'unchanged';
    },
  });
  scheduler.add({ id: '_engine:evict', instance: '_engine', type: 'evict', intervalMs: 5 * 60_000, run: async () => { await runEvict(); return 'success'; } });
  scheduler.add({ id: '_engine:disk_sample', instance: '_engine', type: 'disk_sample', intervalMs: cfg.server.status.disk_sample_interval, run: async () => { await status.sampleDisk(); return 'success'; } });

  // mode state restored before serving (e.g. repository generations), with no upstream contact
  for (const inst of instances) {
    if (!inst.def.hooks?.setup) continue;
    try { await inst.def.hooks.setup(hookContext(ctx, inst)); } catch (e) { log.error('instance setup failed', { instance: inst.name, err: (e as Error).message }); }
  }
  const controllers = new Controllers<Instance>({
    blobs: store.blobs, temp: store, holds, log, hookContext: (i) => hookContext(ctx, i),
    addTask: (i, t) => scheduler.add({ id: `${i.name}:${t.type}`, instance: i.name, type: t.type, intervalMs: t.intervalMs, run: (signal) => t.run(signal) }),
  });
  await controllers.start(instances);
  const modeDetails = async (only?: typeof instances[number]): Promise<Map<string, Record<string, unknown>>> => {
    const out = new Map<string, Record<string, unknown>>();
    for (const i of only ? [only] : instances) {
      const hook = controllers.status(i.name) ?? (i.def.hooks?.status && (() => i.def.hooks!.status!(hookContext(ctx, i))));
      if (hook) out.set(i.name, await hook().catch((e: Error) => ({ error: e.message })));
    }
    return out;
  };
  status.details = () => modeDetails();

  const dispatcher = {
    ready: () => ready,
    shuttingDown: () => shuttingDown,
    handleInstance: (inst: Instance, req: Parameters<typeof handleInstance>[2], res: Parameters<typeof handleInstance>[3], target: Parameters<typeof handleInstance>[4], base: string, id: string) =>
      handleInstance(ctx, inst, req, res, target, base, id),
    serveHot: (inst: Instance, req: Parameters<typeof handleInstance>[2], res: Parameters<typeof handleInstance>[3], base: string, id: string) =>
      !cfg.log.access && hot.serve(hotKey(inst.name, base, req.url ?? ''), req, res, id),
    homePage: (req: Parameters<typeof handleInstance>[2], res: Parameters<typeof handleInstance>[3], base: string, only?: Instance) => { void modeDetails(only).then((d) => status.homePage(req, res, base, only, d)); },
    status: (req: Parameters<typeof handleInstance>[2], res: Parameters<typeof handleInstance>[3], sub: string) => {
      if (cluster && (sub === 'cluster' || sub === 'cluster/health')) return cluster.handle(req, res, sub === 'cluster' ? 'status' : 'health');
      void status.handle(req, res, sub);
    },
    admin: (req: Parameters<typeof handleInstance>[2], res: Parameters<typeof handleInstance>[3], sub: string) => { void admin(req, res, sub).catch((e: Error) => sendError(res, 500, e.message)); },
    metrics: async (res: Parameters<typeof handleInstance>[3], head: boolean) => {
      const u = await store.usage();
      m.storageBlobBytes.set(u.blobBytes);
      m.storageFreeBytes.set(u.freeBytes);
      m.storageLimitBytes.set(Number.isFinite(cfg.storage.max_size) ? cfg.storage.max_size : 0);
      const du = await diskUsage.get();
      m.storageBytes.reset();
      for (const i of instances) { m.storageBytes.set({ instance: i.name }, du.instances[i.name]?.bytes ?? 0); m.storageEntries.set({ instance: i.name }, index.count(i.name)); }
      // what no configured instance owns (tmp/, engine state, directories, unowned blobs, removed instances' leftovers)
      m.storageBytes.set({ instance: '_shared' }, du.total_bytes - instances.reduce((n, i) => n + (du.instances[i.name]?.bytes ?? 0), 0));
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(head ? undefined : body);
    },
  };
  const admin = async (req: Parameters<typeof handleInstance>[2], res: Parameters<typeof handleInstance>[3], sub: string): Promise<void> => {
    const fail = (status: number, msg: string) => sendError(res, status, msg);
    if (sub !== 'purge') return fail(404, `no admin action "${sub}"`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) { size += c.length; if (size > 65536) return fail(413, 'request body over 64 KiB'); chunks.push(c); }
    let body: { instance?: unknown; glob?: unknown };
    try { body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as typeof body; } catch { return fail(400, 'the body must be JSON: {"instance": "…", "glob": "…"}'); }
    if (typeof body.instance !== 'string' || typeof body.glob !== 'string' || !body.glob) return fail(400, 'the body must name "instance" and a non-empty "glob"');
    if (!instances.some((i) => i.name === body.instance)) return fail(404, `no enabled instance named "${body.instance}"`);
    await index.ready;
    const r = await purgeEntries(ctx, body.instance, body.glob);
    log.info('purge', { instance: r.instance, glob: r.glob, purged: r.purged, bytes: r.bytes });
    status.event({ instance: r.instance, result: 'purged', detail: `${r.purged} entries (${r.bytes} bytes) matching ${r.glob}` });
    const text = JSON.stringify(r);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const mounted: Mounted[] = instances.filter((i) => !i.block.bind).map((i) => ({ inst: i, mount: (i.block.route as { path?: string } | undefined)?.path }));
  const listeners: Listener[] = [];
  try {
    listeners.push(await listen(cfg, cfg.server.bind, dispatcher, mounted));
    for (const i of instances.filter((x) => x.block.bind)) listeners.push(await listen(cfg, String(i.block.bind), dispatcher, [], i));
  } catch (e) {
    for (const l of listeners) await l.close();
    await store.close();
    throw Object.assign(new Error(`cannot listen: ${(e as Error).message}`), { exitCode: 3 });
  }
  const rebuildStarted = performance.now();
  void index.rebuild(store).then(
    () => log.info('index ready', { entries: index.count(), from: index.loadedFrom, ms: Math.round(performance.now() - rebuildStarted) }),
    (e: Error) => log.error('index rebuild failed', { err: e.message }),
  );
  scheduler.start();
  cluster?.start();
  ready = true;
  log.info('configuration', {
    file: cfg.file ?? '(built-in default)', backend: cfg.server.backend, access_log: cfg.log.access,
    instances: instances.map((i) => ({ name: i.name, mode: i.def.name, at: i.block.bind ? String(i.block.bind) : (i.block.route as { path?: string } | undefined)?.path })),
  });
  log.info('ready', { listeners: listeners.map((l) => l.address), instances: instances.map((i) => i.name) });

  return {
    listeners,
    async stop(reason = 'stop') {
      shuttingDown = true;
      const stopping = performance.now();
      log.info('shutting down', { reason });
      await settleWithin(Promise.all(listeners.map((l) => l.close())), cfg.server.limits.shutdown_timeout);
      for (const l of listeners) l.server.closeAllConnections();
      // bodies already served whose commit is still running are kept, not lost
      const commits = [...busyKeys].map((k) => state.flights.get(k)?.fill).filter((f) => f?.committing).map((f) => f!.done);
      await settleWithin(Promise.all(commits), cfg.server.limits.shutdown_timeout);
      await scheduler.stop();
      await cluster?.stop();
      await controllers.stop();
      for (const inst of instances) await inst.def.hooks?.stop?.(hookContext(ctx, inst)).catch((e: Error) => log.warn('instance stop failed', { instance: inst.name, err: e.message }));
      await index.flushTouches?.(store).catch(() => undefined);
      // an incomplete index must not become the next start's truth
      if (index.snapshotSafe) await store.snapshots.write(SNAPSHOT_NAME, index.encode(await store.entries.fingerprint?.())).catch((e: Error) => log.warn('could not write the index snapshot', { err: e.message }));
      await status.stop();
      await (upstream as { close?: () => Promise<void> }).close?.();
      await store.close();
      log.info('stopped', { ms: Math.round(performance.now() - stopping) });
    },
  };
}

/** serve until SIGTERM/SIGINT; returns the exit code. `onListening` gets the bound addresses, main listener first */
export async function runServer(cfg: EffectiveConfig, modes: readonly ModeDefinition[], onListening?: (addresses: string[]) => void): Promise<number> {
  // one failed request must not stop the server for everyone else: log it and keep serving
  process.on('unhandledRejection', (e) => logger().error('unhandled rejection', { err: String((e as Error)?.stack ?? e).slice(0, 2000) }));
  // under the supervisor: an uncaught exception ends this worker (its state is unknown), the supervisor starts another
  installWorkerHooks((e) => logger().error('worker crashed', { err: String(e?.stack ?? e).slice(0, 4000) }));
  m.workerRestarts.inc(Number(process.env[RESTARTS_ENV] ?? 0) || 0);
  let engine: RunningEngine;
  try {
    engine = await startEngine(cfg, modes);
  } catch (e) {
    process.stderr.write(`cache-proxy: ${(e as Error).message}\n`);
    return 3;
  }
  signalReady({ level: cfg.log.level, format: cfg.log.format, secrets: cfg.secrets });
  for (const l of engine.listeners) process.stderr.write(`listening on http://${l.address}\n`);
  onListening?.(engine.listeners.map((l) => l.address));
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      void engine.stop(signal).then(() => resolve(0), () => resolve(0));
    };
    // a supervised worker may get a signal twice (from its supervisor and from the process group):
    // the supervisor, not a second signal, decides when to stop waiting
    const on = process.env[WORKER_ENV] === '1' ? process.on.bind(process) : process.once.bind(process);
    on('SIGTERM', stop);
    on('SIGINT', stop);
    process.on('SIGHUP', () => logger().warn('restart to apply configuration changes'));
  });
}
