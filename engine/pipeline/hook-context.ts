// What hooks get (engine spec §2.3): the per-instance context, persisted pins and learned targets,
// fetches through the pipeline or straight upstream, and the index hook run before a commit.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { RejectedBody } from '../cache/fill.js';
import { StatePins } from '../cache/pins.js';
import { LearnedTargets } from '../upstream/targets.js';
import type { Instance } from '../instance.js';
import type { HookContext, UpstreamFetch, UpstreamReply } from '../mode.js';
import { modeCounter, modeHistogram } from '../metrics.js';
import { handleInstance } from '../pipeline.js';
import { deleteEntry } from './entries.js';
import { credentialsOf } from './upstream.js';
import { type EngineCtx, type Work, sha256 } from './work.js';

/** per-instance persisted mode state: pins and learned targets */
interface InstanceState { pins: StatePins; targets: LearnedTargets }
const instanceStates = new WeakMap<Instance, InstanceState>();
export function stateOf(ctx: EngineCtx, inst: Instance): InstanceState {
  let s = instanceStates.get(inst);
  if (!s) {
    s = { pins: new StatePins(ctx.store.state, inst.name), targets: new LearnedTargets(ctx.store.state, inst.name, inst.allowedOrigins, ctx.log) };
    instanceStates.set(inst, s);
  }
  return s;
}
export function targetAllowed(ctx: EngineCtx, inst: Instance, u: URL): boolean {
  return inst.allowedOrigins.has(u.origin) || inst.allowedOrigins.has(u.host) || stateOf(ctx, inst).targets.has(u.origin);
}
/** true when u is reachable only as a public host (learned origins unless a configured upstream is private, public redirects) */
export async function publicOnly(ctx: EngineCtx, inst: Instance, u: URL): Promise<boolean> {
  if (inst.allowedOrigins.has(u.origin) || inst.allowedOrigins.has(u.host)) return false;
  const targets = stateOf(ctx, inst).targets;
  return !(targets.has(u.origin) && await targets.privateAllowed());
}
export { DEFAULT_MAX_REWRITE } from '../instance.js';
export const maxBodyOf = (inst: Instance, kind: Instance['def']['kinds'][string]): number | undefined => inst.maxBody(kind);

/** ctx.fetch: an upstream request of a mode through the same limiter, failover, health and SSRF guard */
async function modeFetch(ctx: EngineCtx, inst: Instance, o: UpstreamFetch): Promise<UpstreamReply> {
  const bases = o.bases?.length ? o.bases : inst.upstreams;
  const rel = o.path.replace(/^\/+/, '');
  const r = await ctx.upstream.request({
    instance: inst.name, candidates: bases.map((b) => `${b}/${rel}`), method: o.method ?? 'GET', headers: o.headers, body: o.body, foreground: o.foreground ?? false,
    signal: o.signal, failoverOn404: o.failoverOn404, allowed: (u) => targetAllowed(ctx, inst, u), publicOnly: (u) => publicOnly(ctx, inst, u), credentials: credentialsOf(inst),
  });
  const base = bases.find((b) => new URL(b).origin === r.origin) ?? bases[0]!;
  // a mode that stops reading (verification failed) releases the body: the abort must not become an unhandled error
  r.body.on('error', () => undefined);
  return { status: r.status, headers: r.headers, body: r.body, base, url: r.url, release: r.release };
}

const contexts = new WeakMap<Instance, HookContext>();
const neverAborted = new AbortController().signal;

/** the narrow context every hook and task of an instance gets (never engine internals) */
export function hookContext(ctx: EngineCtx, inst: Instance, signal?: AbortSignal): HookContext {
  const memo = contexts.get(inst);
  if (memo && !signal) return memo;
  const made: HookContext = {
    config: inst.block, settings: inst.settings, instance: inst.name, log: ctx.log, signal: signal ?? neverAborted,
    fetchThrough: (p, o) => fetchThrough(ctx, inst, p, o?.headers),
    pins: stateOf(ctx, inst).pins,
    targetAllowed: (url) => { try { return targetAllowed(ctx, inst, new URL(url)); } catch { return false; } },
    count: (name, help) => modeCounter(name, help).inc({ instance: inst.name }),
    privateDir: ctx.store.privateDir(inst.name),
    state: { read: (n) => ctx.store.state.read(`${inst.name}/${n}`), write: (n, d) => ctx.store.state.write(`${inst.name}/${n}`, d) },
    fetch: (o) => modeFetch(ctx, inst, o),
    tasks: ctx.tasks?.(inst.name),
    metrics: {
      counter: (n, help, labels) => { const c = modeCounter(n, help, labels); return { inc: (l, v = 1) => c.inc(l, v) }; },
      histogram: (n, help, labels) => { const hg = modeHistogram(n, help, labels); return { observe: (l, v) => hg.observe(l, v) }; },
    },
    events: { emit: (e) => ctx.event({ instance: inst.name, ...e }) },
    cache: {
      list: () => listEntries(ctx, inst.name),
      delete: (kind, key) => deleteEntry(ctx, inst.name, sha256(`${inst.name}\n${kind}/${key}`)),
    },
    cleanup: { dryRun: ctx.config.storage.cleanup.dry_run, batchSize: ctx.config.storage.cleanup.batch_size > 0 ? ctx.config.storage.cleanup.batch_size : 500 },
  };
  if (!signal && ctx.tasks) contexts.set(inst, made);
  return made;
}

async function* listEntries(ctx: EngineCtx, inst: string): AsyncIterable<{ kind: string; key: string; size: number; lastUsedAt: number; digests: Record<string, string> }> {
  for await (const e of ctx.store.entries.list(inst)) {
    const lastUsedAt = Math.max(Date.parse(e.last_used_at) || 0, ctx.index.lastUsed?.(inst, e.keyHash) ?? 0);
    yield { kind: e.kind, key: e.key.startsWith(`${e.kind}/`) ? e.key.slice(e.kind.length + 1) : e.key, size: e.size, lastUsedAt, digests: e.digests };
  }
}

/** fetch another key of the same instance through the pipeline, buffered (checksum sources) */
async function fetchThrough(ctx: EngineCtx, inst: Instance, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer } | null> {
  const { PassThrough } = await import('node:stream');
  const chunks: Buffer[] = [];
  const fake = new PassThrough();
  let status = 0;
  const res = Object.assign(fake, {
    headersSent: false, statusCode: 200,
    writeHead(s: number) { status = s; this.statusCode = s; this.headersSent = true; return this; },
    setHeader() { return this; },
  }) as unknown as ServerResponse;
  fake.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((r) => { fake.on('finish', r); fake.on('close', r); fake.on('error', () => r()); });
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const req = { method: 'GET', headers: lower, url: '/' + path } as unknown as IncomingMessage;
  const segs = path.split('/').filter(Boolean);
  await handleInstance(ctx, inst, req, res, { segments: segs, rawSegments: segs.map(encodeURIComponent), trailingSlash: false, query: '' }, '', randomUUID());
  await ended;
  return status ? { status, body: Buffer.concat(chunks) } : null;
}

/** the kind's index hook on a complete body: pins and learned targets persisted, or the body rejected */
export async function runIndex(ctx: EngineCtx, w: Work, body: Readable, headers: Record<string, string>): Promise<void> {
  const kind = w.inst.def.kinds[w.kind]!;
  let out;
  try {
    out = await kind.index!({ body, headers, match: w.match, ctx: hookContext(ctx, w.inst) });
  } catch (e) {
    throw new RejectedBody((e as Error).message);
  } finally {
    body.destroy();
  }
  if (!out) return;
  const st = stateOf(ctx, w.inst);
  await Promise.all([...(out.pins ?? []).map((p) => st.pins.merge(p.group, p.entries)), out.targets?.length ? st.targets.learn(out.targets) : undefined]);
}
