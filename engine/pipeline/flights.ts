// Flights: one upstream exchange per key at a time, and the fill a 200 becomes (the body's stages run here,
// in this order: head check → verify while streaming → check of the completed file → index → commit).
import { meansGone, rememberGone } from './gone.js';
import { createReadStream } from 'node:fs';
import { Fill, type FillResult } from '../cache/fill.js';
import type { Entry } from '../cache/store.js';
import type { VerifyResult } from '../mode.js';
import { m } from '../metrics.js';
import { readSmall } from './bodies.js';
import type { EngineCtx } from './context.js';
import { cacheEntry, deleteEntry, expiresAt } from './entries.js';
import { runCheck, runIndex } from './hook-context.js';
import { expectationOf } from './expectation.js';
import { targetWork } from './keys.js';
import { headOf } from './upstream.js';
import { type Flight, type FlightOutcome, type UpstreamResponse, type Work, iso } from './work.js';

/** a key is busy while its flight runs (and, for a fill, until the fill ends) */
export function trackFlight(ctx: EngineCtx, flightKey: string, flight: Flight): Flight {
  const flights = ctx.state.flights;
  flights.set(flightKey, flight);
  ctx.busyKeys.add(flightKey);
  const clear = () => { if (flights.get(flightKey) === flight) { flights.delete(flightKey); ctx.busyKeys.delete(flightKey); } };
  flight.outcome.then((o) => {
    // a failed fill takes no more joiners while it cleans up: the next request fetches anew
    // so does a fill without a disk copy once its first bytes left memory: a later request starts its own flight
    if (o.type === 'fill') { flight.fill = o.fill; o.fill.once('failed', clear); o.fill.once('unjoinable', clear); if (!o.fill.joinable) clear(); o.fill.done.finally(clear); } else clear();
  }, clear);
  return flight;
}

/** a 200 becomes a fill, unless the kind's admitHead hook refuses it (502, nothing stored) */
export function fillOutcome(ctx: EngineCtx, w: Work, resp: UpstreamResponse, o: FillExtras = {}): FlightOutcome {
  const head = headOf(w, resp);
  const verdict = w.inst.def.kinds[w.kind]!.body?.admitHead?.(head, w.match) ?? 'store';
  if (typeof verdict === 'object') {
    resp.release();
    ctx.log.warn('upstream response refused; nothing was cached', { instance: w.inst.name, kind: w.kind, key: w.key.slice(0, 256), err: verdict.reject });
    return { type: 'error', failure: { status: 502, message: verdict.reject } };
  }
  const fill = startFill(ctx, w, resp, { ...o, pass: o.pass === true || verdict === 'pass' });
  return { type: 'fill', fill, head, release: fill.hold() };
}

/**
 * An upstream answer other than 200/304: negative record for 404/410, stale copy on 5xx, else passed through.
 * `share`: false when the answer came from another process (which shared it already).
 */
export async function settleNonOk(ctx: EngineCtx, w: Work, stale: Entry | undefined, resp: UpstreamResponse, share = true): Promise<FlightOutcome> {
  const st = resp.status;
  const body = await readSmall(resp.body);
  resp.release();
  if (meansGone(w.inst.def.kinds[w.kind]!, st)) {
    if (stale) await deleteEntry(ctx, w.inst.name, w.keyHash);
    rememberGone(ctx, w, { status: st, contentType: resp.headers['content-type'], body: body.subarray(0, 4096) }, share);
  }
  if (st >= 500 && stale) return { type: 'stale' };
  return { type: 'response', status: st, headers: resp.headers, body };
}

/** what a fill may do besides storing its own key: other keys bound to the same bytes, a known expectation, no storing */
interface FillExtras { also?: { w: Work; meta?: Record<string, unknown> }[]; expected?: VerifyResult; pass?: boolean }

function startFill(ctx: EngineCtx, w: Work, resp: UpstreamResponse, extras: FillExtras = {}): Fill {
  const head = headOf(w, resp);
  const kind = w.inst.def.kinds[w.kind]!;
  const maxObj = ctx.config.storage.max_object_size;
  const store = !extras.pass && !ctx.storeDegraded() && (head.size === undefined || head.size <= maxObj);
  const body = kind.body ?? {};
  const expected = extras.pass ? undefined : extras.expected ? Promise.resolve(extras.expected) : expectationOf(ctx, w, resp.headers);
  m.fillsInFlight.inc({ instance: w.inst.name });
  const maxBytes = w.inst.maxBody(kind);
  const fill = new Fill({
    body: resp.body, contentLength: head.size, tempPath: ctx.store.tempPath('.part'), expected, store, maxBytes,
    detachedBudget: ctx.config.storage.download.detached_fill_budget,
    isNoSpace: ctx.isNoSpace, onNoSpace: ctx.onNoSpace, failWritesAfter: ctx.faultEnospcAfter, slowOpenMs: ctx.faultSlowOpenMs,
    // both can refuse the body, so both run before its tail is released
    check: (body.check || body.index) && (async (temp, size) => {
      if (body.check) await runCheck(ctx, w, body.check, temp, size, head.headers);
      if (body.index) await runIndex(ctx, w, createReadStream(temp), head.headers);
    }),
    commit: async (temp, digests, size, data) => {
      const digest = digests.sha256!;
      const r = await ctx.store.blobs.commit(temp, digest, data);
      const now = fill.verifiedAt ?? Date.now(); // the commit runs after the response: freshness counts from the body's arrival
      const also = [...(extras.also ?? [])];
      const pin = (await expected?.catch(() => null))?.pin;
      let meta: Record<string, unknown> | undefined = pin !== undefined ? { pin } : undefined;
      const target = kind.bind?.to(w.match, resp.headers, digests);
      if (target) { const tw = targetWork(w, target); meta = { ...meta, bound: tw.key }; also.push({ w: tw }); }
      const base = {
        blob: `sha256:${digest}`, size, status: 200, headers: head.headers, etag: head.headers.etag, last_modified: head.headers['last-modified'], digests, upstream: resp.origin,
        fetched_at: iso(now), validated_at: iso(now), last_used_at: iso(now),
      };
      for (const x of [{ w, meta }, ...also]) {
        const entry: Entry = { ...base, inst: x.w.inst.name, keyHash: x.w.keyHash, key: x.w.key, kind: x.w.kind, policy: x.w.resolved.policy, expires_at: expiresAt(x.w, now), ...(x.meta ? { meta: x.meta } : {}) };
        await ctx.store.entries.put(entry);
        cacheEntry(ctx, entry);
        ctx.negative.delete(x.w.flightKey);
        ctx.index.added(entry);
      }
      return { result: r === 'existed' ? 'deduplicated' : 'stored', path: await ctx.store.blobs.localFile(digest) };
    },
  });
  // counted as the clients see it: the end of `done` (commit, temp file removal) comes after their responses
  fill.once('verified', () => { if (fill.unverified) m.verifySkipped.inc({ instance: w.inst.name, kind: w.kind }); });
  fill.once('failed', () => {
    if (fill.result !== 'verify_failed') return;
    m.verifyFailures.inc({ instance: w.inst.name, kind: w.kind });
    ctx.event({ instance: w.inst.name, result: 'verify_failed', reason_code: 'verify_failed', message: `${w.match.path}: ${fill.error?.message ?? ''}` });
    ctx.log.warn('verification failed; nothing was cached', { instance: w.inst.name, kind: w.kind, key: w.key.slice(0, 256), err: fill.error?.message });
  });
  void fill.done.then((result: FillResult) => {
    m.fillsInFlight.dec({ instance: w.inst.name });
    m.fills.inc({ instance: w.inst.name, kind: w.kind, result });
    resp.release();
    if (result !== 'stored' && result !== 'deduplicated' && result !== 'too_large' && result !== 'unverified' && result !== 'verify_failed') {
      ctx.log.warn('fill did not complete', { instance: w.inst.name, kind: w.kind, key: w.key.slice(0, 256), result, err: fill.error?.message });
    }
  });
  return fill;
}
