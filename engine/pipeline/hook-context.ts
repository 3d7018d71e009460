// What hooks get: the per-instance context (pins, learned targets, fetches through the pipeline or straight
// upstream, tasks, metrics, state) and the index hook run before a commit.
import type { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { RejectedBody } from '../cache/fill.js';
import type { Instance } from '../instance.js';
import type { CheckHook, HookContext, ModeTasks, UpstreamFetch, UpstreamReply } from '../mode.js';
import { modeCounter, modeGauge, modeHistogram } from '../metrics.js';
import type { EngineCtx } from './context.js';
import { deleteEntry } from './entries.js';
import { publicOnly, stateOf, targetAllowed } from './instance-state.js';
import { credentialsOf } from './upstream.js';
import { type Work, sha256 } from './work.js';


/** ctx.fetch: an upstream request of a mode through the same limiter, failover, health and SSRF guard */
async function modeFetch(ctx: EngineCtx, inst: Instance, o: UpstreamFetch): Promise<UpstreamReply> {
  const bases = o.bases?.length ? o.bases : inst.upstreams;
  const rel = o.path.replace(/^\/+/, '');
  const r = await ctx.upstream.request({
    instance: inst.name, candidates: bases.map((b) => `${b}/${rel}`), method: o.method ?? 'GET', headers: o.headers, body: o.body, foreground: o.foreground ?? false,
    signal: o.signal, failoverOnStatus: o.failoverOnStatus, allowed: (u) => targetAllowed(ctx, inst, u), publicOnly: (u) => publicOnly(ctx, inst, u), credentials: credentialsOf(inst),
  });
  const base = bases.find((b) => new URL(b).origin === r.origin) ?? bases[0]!;
  // a mode that stops reading (verification failed) releases the body: the abort must not become an unhandled error
  r.body.on('error', () => undefined);
  return { status: r.status, headers: r.headers, body: r.body, base, url: r.url, release: r.release };
}

const neverAborted = new AbortController().signal;

/** the narrow context every hook and task of an instance gets (never engine internals) */
export function hookContext(ctx: EngineCtx, inst: Instance, signal?: AbortSignal): HookContext {
  const memo = ctx.state.hookContexts.get(inst);
  if (memo && !signal) return memo;
  const made: HookContext = {
    config: inst.block, settings: inst.settings, instance: inst.name, log: ctx.log, signal: signal ?? neverAborted,
    fetchThrough: (p, o) => ctx.fetchThrough(inst, p, o?.headers),
    pins: stateOf(ctx, inst).pins,
    targetAllowed: (url) => { try { return targetAllowed(ctx, inst, new URL(url)); } catch { return false; } },
    count: (name, help) => modeCounter(name, help).inc({ instance: inst.name }),
    privateDir: ctx.store.privateDir(inst.name),
    state: { read: (n) => ctx.store.state.read(`${inst.name}/${n}`), write: (n, d) => ctx.store.state.write(`${inst.name}/${n}`, d) },
    fetch: (o) => modeFetch(ctx, inst, o),
    tasks: tasksOf(ctx, inst.name),
    metrics: {
      counter: (n, help, labels) => { const c = modeCounter(n, help, labels); return { inc: (l, v = 1) => c.inc(l, v) }; },
      histogram: (n, help, labels) => { const hg = modeHistogram(n, help, labels); return { observe: (l, v) => hg.observe(l, v) }; },
      gauge: (n, help, labels) => { const gg = modeGauge(n, help, labels); return { set: (l, v) => gg.set(l, v) }; },
    },
    events: { emit: (e) => ctx.event({ instance: inst.name, ...e }) },
    cache: {
      list: () => listEntries(ctx, inst.name),
      delete: (kind, key) => deleteSettled(ctx, inst.name, sha256(`${inst.name}\n${kind}/${key}`)),
    },
    cleanup: { dryRun: ctx.config.storage.cleanup.dry_run, batchSize: ctx.config.storage.cleanup.batch_size > 0 ? ctx.config.storage.cleanup.batch_size : 500 },
  };
  if (!signal) ctx.state.hookContexts.set(inst, made);
  return made;
}

/** a mode's delete of a key: a fill of it still in flight (its commit follows its readers) ends first, so what it stores goes too */
async function deleteSettled(ctx: EngineCtx, inst: string, keyHash: string): Promise<void> {
  const flight = ctx.state.flights.get(`${inst}/${keyHash}`);
  if (flight) {
    const o = await flight.outcome.catch(() => undefined);
    if (o?.type === 'fill') await o.fill.done.catch(() => undefined);
  }
  await deleteEntry(ctx, inst, keyHash);
}

/** run-time tasks of an instance, handed to the scheduler once it runs (tasks added before it starts fail) */
function tasksOf(ctx: EngineCtx, instance: string): ModeTasks {
  const scheduler = (): ModeTasks => {
    if (!ctx.tasks) throw new Error('background tasks are not available before the scheduler starts');
    return ctx.tasks(instance);
  };
  return { add: (t) => scheduler().add(t), remove: (type, target) => scheduler().remove(type, target), trigger: (type, target) => scheduler().trigger(type, target) };
}

async function* listEntries(ctx: EngineCtx, inst: string): AsyncIterable<{ kind: string; key: string; size: number; lastUsedAt: number; digests: Record<string, string> }> {
  for await (const e of ctx.store.entries.list(inst)) {
    const lastUsedAt = Math.max(Date.parse(e.last_used_at) || 0, ctx.index.lastUsed?.(inst, e.keyHash) ?? 0);
    yield { kind: e.kind, key: e.key.startsWith(`${e.kind}/`) ? e.key.slice(e.kind.length + 1) : e.key, size: e.size, lastUsedAt, digests: e.digests };
  }
}

/** the kind's check of a completed file: a reason, or a throw, fails the fill as a digest mismatch does */
export async function runCheck(ctx: EngineCtx, w: Work, check: CheckHook, temp: string, size: number, headers: Record<string, string>): Promise<void> {
  const opened: Readable[] = [];
  let reason: string | null;
  try {
    reason = await check({ open: () => { const s = createReadStream(temp); opened.push(s); return s; }, size, headers, match: w.match, ctx: hookContext(ctx, w.inst) });
  } catch (e) {
    reason = (e as Error).message || 'check failed';
  } finally {
    for (const s of opened) s.destroy();
  }
  if (reason) throw new RejectedBody(reason);
}

/** the kind's index hook on a complete body: pins and learned targets persisted, or the body rejected */
export async function runIndex(ctx: EngineCtx, w: Work, body: Readable, headers: Record<string, string>): Promise<void> {
  const kind = w.inst.def.kinds[w.kind]!;
  let out;
  try {
    out = await kind.body!.index!({ body, headers, match: w.match, ctx: hookContext(ctx, w.inst) });
  } catch (e) {
    throw new RejectedBody((e as Error).message);
  } finally {
    body.destroy();
  }
  if (!out) return;
  const st = stateOf(ctx, w.inst);
  await Promise.all([...(out.pins ?? []).map((p) => st.pins.merge(p.group, p.entries)), out.targets?.length ? st.targets.learn(out.targets) : undefined]);
}
