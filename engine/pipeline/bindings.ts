// HEAD revalidation and binding kinds: a mutable name (OCI tag) bound to content another kind stores.
import type { Entry } from '../cache/store.js';
import type { EngineCtx } from './context.js';
import { cacheEntry, expiresAt, lookup } from './entries.js';
import { fillOutcome, settleNonOk, trackFlight } from './flights.js';
import { targetWork } from './keys.js';
import { upstreamRequest } from './upstream.js';
import { type FlightOutcome, type UpstreamResponse, type Work, asFailure, iso } from './work.js';

// A kind with `upstream.revalidateWith: 'head'` is revalidated by a HEAD; a kind with `bind.to` is a mutable name whose
// upstream head names content another kind stores (OCI tag → manifest by digest). Its entry points at that
// content's bytes and records the key in `meta.bound`, so a HEAD naming the same key changes nothing, one naming
// a cached key rebinds without a GET, and an uncached one is fetched by that key, verified and bound.

export async function revalidated(ctx: EngineCtx, w: Work, stale: Entry, from: Record<string, string> = {}): Promise<Entry> {
  const now = Date.now();
  const headers = { ...stale.headers };
  for (const h of ['etag', 'last-modified', 'cache-control', 'expires']) if (from[h]) headers[h] = from[h]!;
  const updated: Entry = {
    ...stale, headers, etag: from.etag ?? stale.etag, last_modified: from['last-modified'] ?? stale.last_modified,
    validated_at: iso(now), expires_at: w.resolved.policy === 'revalidate' ? expiresAt(w, now) : stale.expires_at,
  };
  await ctx.store.entries.put(updated);
  cacheEntry(ctx, updated);
  return updated;
}

/** write w's entry as a binding to the target's stored content */
async function bindEntry(ctx: EngineCtx, w: Work, target: Entry, targetKey: string): Promise<Entry> {
  const now = Date.now();
  const entry: Entry = {
    ...target, inst: w.inst.name, keyHash: w.keyHash, key: w.key, kind: w.kind, policy: w.resolved.policy, meta: { bound: targetKey },
    fetched_at: iso(now), validated_at: iso(now), last_used_at: iso(now), expires_at: expiresAt(w, now),
  };
  await ctx.store.entries.put(entry);
  cacheEntry(ctx, entry);
  ctx.negative.delete(w.flightKey);
  ctx.index.added(entry);
  return entry;
}

export async function bindIfCached(ctx: EngineCtx, w: Work, headers: Record<string, string>): Promise<Entry | null> {
  const t = w.inst.def.kinds[w.kind]!.bind?.to(w.match, headers);
  if (!t) return null;
  const tw = targetWork(w, t);
  const target = await lookup(ctx, tw);
  return target ? bindEntry(ctx, w, target, tw.key) : null;
}

/** null: fall back to a conditional GET (405/501 to HEAD, no identity in the head, changed validators) */
export async function revalidateWithHead(ctx: EngineCtx, w: Work, stale: Entry): Promise<FlightOutcome | null> {
  const staleUnlessRefused = (e: unknown): FlightOutcome => { const failure = asFailure(e); return failure.passThrough ? { type: 'error', failure } : { type: 'stale' }; };
  let resp: UpstreamResponse;
  try {
    resp = await upstreamRequest(ctx, w, 'HEAD');
  } catch (e) {
    return staleUnlessRefused(e);
  }
  resp.release();
  resp.body.resume();
  if (resp.status === 405 || resp.status === 501) return null;
  if (resp.status !== 200) return settleNonOk(ctx, w, stale, resp);
  const kind = w.inst.def.kinds[w.kind]!;
  if (!kind.bind) {
    const h = resp.headers;
    const same = stale.etag ? h.etag === stale.etag && !stale.etag.startsWith('W/') : !!stale.last_modified && h['last-modified'] === stale.last_modified;
    return same ? { type: 'entry', entry: await revalidated(ctx, w, stale) } : null;
  }
  const t = kind.bind.to(w.match, resp.headers);
  if (!t) return null;
  const tw = targetWork(w, t);
  if (stale.meta?.bound === tw.key) return { type: 'entry', entry: await revalidated(ctx, w, stale) };
  const cached = await lookup(ctx, tw);
  if (cached) return { type: 'entry', entry: await bindEntry(ctx, w, cached, tw.key), label: 'REFRESH' };
  const running = ctx.state.flights.get(tw.flightKey);
  if (running) {
    const o = await running.outcome;
    if (o.type === 'fill') await o.fill.done;
    const filled = await lookup(ctx, tw);
    return filled ? { type: 'entry', entry: await bindEntry(ctx, w, filled, tw.key), label: 'REFRESH' } : { type: 'stale' };
  }
  let got: UpstreamResponse;
  try {
    got = await upstreamRequest(ctx, tw, 'GET');
  } catch (e) {
    return staleUnlessRefused(e);
  }
  if (got.status !== 200) return settleNonOk(ctx, tw, undefined, got);
  const o = fillOutcome(ctx, tw, got, { also: [{ w, meta: { bound: tw.key } }], expected: t.verify });
  if (o.type === 'fill') trackFlight(ctx, tw.flightKey, { revalidation: false, outcome: Promise.resolve(o) }); // requests for the target key join
  return o;
}
