// The values the request path passes down: what the decision chose (Action), and what is to be written (Answer).
import type { Fill } from '../cache/fill.js';
import type { NegativeRecord } from '../cache/negative.js';
import type { Entry } from '../cache/store.js';
import type { FailureLike, Flight, Head, UpstreamResponse, Work } from './work.js';

/** what `decide` chose for a request, from the stored entry, the running flight, the policy and the mode's admission */
export type Action =
  /** a stored entry answers (HIT, FRESH or STALE) */
  | { type: 'entry'; entry: Entry; label: 'HIT' | 'FRESH' | 'STALE' }
  /** a remembered upstream 404/410 answers */
  | { type: 'negative'; record: NegativeRecord }
  /** forwarded upstream, nothing stored */
  | { type: 'bypass'; label: 'BYPASS' | 'PASSTHROUGH' }
  | { type: 'fail'; failure: FailureLike }
  /** another stored representation of the key answers (STALE), else the failure */
  | { type: 'alternate'; otherwise: FailureLike }
  /** wait for the key's running flight (JOIN); `stale` is the stored entry it refreshes */
  | { type: 'join'; flight: Flight; stale?: Entry }
  /** start the key's flight: a fill (MISS) or a revalidation of `stale` (REFRESH) */
  | { type: 'fetch'; label: 'MISS' | 'REFRESH'; stale?: Entry }
  /** a HEAD miss: the upstream's head answers when it can, else as `fetch` MISS */
  | { type: 'probe' };

/** what the responder writes */
export type Answer =
  /** a stored entry; `from` is the Work of another representation's key, `derived` a body made from the entry's */
  | { type: 'entry'; entry: Entry; label: string; from?: Work; derived?: Buffer }
  /** a running fill, read as it arrives; `release` gives up the request's hold on it (starter or joiner) once written */
  | { type: 'fill'; fill: Fill; head: Head; label: string; release?: () => void }
  /** an upstream answer passed through as it arrives (bypass) */
  | { type: 'upstream'; resp: UpstreamResponse; label: string }
  /** an upstream answer other than 200/304, read whole (small) */
  | { type: 'response'; status: number; headers: Record<string, string>; body: Buffer; label: string }
  | { type: 'negative'; record: NegativeRecord }
  /** the head of an upstream HEAD (a HEAD miss) */
  | { type: 'head'; status: number; headers: Record<string, string> }
  | { type: 'error'; failure: FailureLike };
