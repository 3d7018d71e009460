// Starting a key's flight: a conditional GET (or a HEAD revalidation) of a stored entry, a fill of a missing
// one, and the upstream HEAD that answers a HEAD miss.
import { meansGone, rememberGone } from './gone.js';
import type { Entry } from '../cache/store.js';
import type { Answer } from './actions.js';
import { bindIfCached, revalidateWithHead, revalidated } from './bindings.js';
import type { EngineCtx } from './context.js';
import { lookup } from './entries.js';
import type { FillClaim, FillCoordinator } from './fill-claim.js';
import { fillOutcome, settleNonOk, trackFlight } from './flights.js';
import { headOf, upstreamRequest } from './upstream.js';
import { type Flight, type FlightOutcome, type UpstreamResponse, type Work, asFailure } from './work.js';

export function startFlight(ctx: EngineCtx, w: Work, stale: Entry | undefined): Flight {
  return trackFlight(ctx, w.flightKey, { revalidation: !!stale, outcome: runFlight(ctx, w, stale) });
}

async function runFlight(ctx: EngineCtx, w: Work, stale: Entry | undefined): Promise<FlightOutcome> {
  if (!stale && ctx.fills) return claimedMiss(ctx, w, ctx.fills);
  return fromUpstream(ctx, w, stale);
}

/** a miss the engine's coordinator may give to another process: its answer streams through, stored there */
async function claimedMiss(ctx: EngineCtx, w: Work, fills: FillCoordinator): Promise<FlightOutcome> {
  const claim: FillClaim = await fills.claim(w).catch((): FillClaim => ({ type: 'local' }));
  if (claim.type === 'peer') return claim.resp.status === 200 ? fillOutcome(ctx, w, claim.resp, { pass: true }) : settleNonOk(ctx, w, undefined, claim.resp, false);
  const settled = claim.settled ?? (() => undefined);
  if (claim.type === 'recheck') {
    const entry = await lookup(ctx, w);
    if (entry) { settled(true); return { type: 'entry', entry, label: 'HIT' }; }
  }
  let o: FlightOutcome;
  try { o = await fromUpstream(ctx, w, undefined); } catch (e) { settled(false); throw e; }
  if (o.type === 'fill') void o.fill.done.then((r) => settled(r === 'stored' || r === 'deduplicated'), () => settled(false));
  else settled(false);
  return o;
}

async function fromUpstream(ctx: EngineCtx, w: Work, stale: Entry | undefined): Promise<FlightOutcome> {
  if (stale && w.inst.def.kinds[w.kind]!.upstream?.revalidateWith === 'head') {
    const byHead = await revalidateWithHead(ctx, w, stale);
    if (byHead) return byHead;
  }
  const cond: Record<string, string> = {};
  if (stale?.etag) cond['if-none-match'] = stale.etag;
  if (stale?.last_modified) cond['if-modified-since'] = stale.last_modified;
  let resp: UpstreamResponse;
  try {
    resp = await upstreamRequest(ctx, w, 'GET', cond);
  } catch (e) {
    const failure = asFailure(e);
    if (stale && !failure.passThrough) return { type: 'stale' };
    return { type: 'error', failure };
  }
  const st = resp.status;
  if (st === 304 && stale) {
    resp.release();
    return { type: 'entry', entry: await revalidated(ctx, w, stale, resp.headers) };
  }
  if (st === 200) return fillOutcome(ctx, w, resp);
  return settleNonOk(ctx, w, stale, resp);
}

/** a HEAD miss asks the upstream with HEAD; null: it cannot answer HEAD (405/501), fill normally instead */
export async function probeHead(ctx: EngineCtx, w: Work): Promise<Answer | null> {
  let resp: UpstreamResponse;
  try {
    resp = await upstreamRequest(ctx, w, 'HEAD');
  } catch (e) {
    return { type: 'error', failure: asFailure(e) };
  }
  resp.release();
  resp.body.resume();
  if (resp.status === 405 || resp.status === 501) return null;
  const kind = w.inst.def.kinds[w.kind]!;
  if (meansGone(kind, resp.status)) {
    rememberGone(ctx, w, { status: resp.status, contentType: resp.headers['content-type'], body: Buffer.alloc(0) });
  }
  if (resp.status === 200 && kind.bind) await bindIfCached(ctx, w, resp.headers);
  const headers: Record<string, string> = resp.status === 200 ? headOf(w, resp).headers : {};
  if (resp.headers['content-length']) headers['content-length'] = resp.headers['content-length'];
  return { type: 'head', status: resp.status, headers };
}
