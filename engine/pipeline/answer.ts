// From an Action to an Answer: runs what the decision chose (starts or joins the key's flight, forwards a
// bypass, looks for another representation) and turns a flight's outcome into what is to be written.
import type { Entry } from '../cache/store.js';
import { m } from '../metrics.js';
import type { Action, Answer } from './actions.js';
import { findAlternate } from './alternates.js';
import type { EngineCtx } from './context.js';
import { probeHead, startFlight } from './exchange.js';
import { upstreamRequest } from './upstream.js';
import { type FailureLike, type FlightOutcome, type Work, asFailure } from './work.js';

export async function answerOf(ctx: EngineCtx, w: Work, a: Action): Promise<Answer> {
  switch (a.type) {
    case 'entry': return { type: 'entry', entry: a.entry, label: a.label };
    case 'negative': return a;
    case 'fail': return { type: 'error', failure: a.failure };
    case 'alternate': return alternateOr(ctx, w, a.otherwise);
    case 'bypass': return bypass(ctx, w, a.label);
    case 'join': {
      m.joins.inc({ instance: w.inst.name, kind: w.kind, via: a.flight.revalidation ? 'revalidation' : 'fill' });
      // a joiner holds the fill as the starter does: the starter's client leaving before this request reads
      // must not look like a fill nobody reads (a pass-through fill would stop)
      const o = await a.flight.outcome;
      return settleHeld(ctx, w, o, o.type === 'fill' ? o.fill.hold() : undefined, 'JOIN', a.stale);
    }
    case 'probe': {
      const head = await probeHead(ctx, w);
      if (head) return head;
      return ownFlight(ctx, w, 'MISS');
    }
    case 'fetch': return ownFlight(ctx, w, a.label, a.stale);
  }
}

/** the request that starts a flight answers its outcome; a fill's hold on it is given up once written (`release`) */
async function ownFlight(ctx: EngineCtx, w: Work, label: string, stale?: Entry): Promise<Answer> {
  // the decision was taken a few awaits ago: a request decided in the same turn may have started the key's flight
  // meanwhile. Checked and started with no await between, so a key never has two upstream exchanges at once
  const running = ctx.state.flights.get(w.flightKey);
  if (running) return answerOf(ctx, w, { type: 'join', flight: running, stale });
  const o = await startFlight(ctx, w, stale).outcome;
  return settleHeld(ctx, w, o, o.type === 'fill' ? o.release : undefined, label, stale);
}

/** settle, keeping the request's hold on a fill (`release`) until its answer is written, else giving it up */
async function settleHeld(ctx: EngineCtx, w: Work, o: FlightOutcome, release: (() => void) | undefined, label: string, stale?: Entry): Promise<Answer> {
  try {
    const answer = await settle(ctx, w, o, label, stale);
    if (release && answer.type === 'fill') return { ...answer, release };
    release?.();
    return answer;
  } catch (e) {
    release?.();
    throw e;
  }
}

/** a flight's outcome as this request's answer: a stale copy or another representation when the upstream failed */
async function settle(ctx: EngineCtx, w: Work, o: FlightOutcome, label: string, stale?: Entry): Promise<Answer> {
  switch (o.type) {
    case 'entry':
      return { type: 'entry', entry: o.entry, label: o.label ?? 'HIT' };
    case 'stale':
      if (stale) return { type: 'entry', entry: stale, label: 'STALE' };
      return alternateOr(ctx, w, { status: 502, message: 'upstream failed' });
    case 'error':
      if (stale && !o.failure.passThrough && Date.parse(stale.expires_at ?? '9999') > Date.now()) return { type: 'entry', entry: stale, label: 'STALE' };
      if (!stale && !o.failure.passThrough) return alternateOr(ctx, w, o.failure);
      return { type: 'error', failure: o.failure };
    case 'response':
      if (o.status >= 500 && !stale) {
        const alt = await alternate(ctx, w);
        if (alt) return alt;
      }
      return { ...o, label: label === 'JOIN' ? 'JOIN' : 'MISS' };
    case 'fill':
      return { type: 'fill', fill: o.fill, head: o.head, label };
  }
}

async function alternate(ctx: EngineCtx, w: Work): Promise<Answer | undefined> {
  const alt = await findAlternate(ctx, w);
  return alt && { type: 'entry', entry: alt.entry, label: 'STALE', from: alt.src, derived: alt.body };
}

/** another stored representation of w's key (STALE), else the failure */
async function alternateOr(ctx: EngineCtx, w: Work, failure: FailureLike): Promise<Answer> {
  return (await alternate(ctx, w)) ?? { type: 'error', failure };
}

/** the request forwarded upstream with the client's conditionals and Range, nothing stored */
async function bypass(ctx: EngineCtx, w: Work, label: string): Promise<Answer> {
  const extra: Record<string, string> = {};
  for (const h of ['if-none-match', 'if-modified-since', 'range', 'if-range']) {
    const v = w.match.headers[h];
    if (typeof v === 'string') extra[h] = v;
  }
  try {
    return { type: 'upstream', resp: await upstreamRequest(ctx, w, w.method, extra), label };
  } catch (e) {
    return { type: 'error', failure: asFailure(e) };
  }
}
