// Who fetches a missing key: this process, or another process whose answer streams through this one. The
// pipeline asks before the upstream GET of a miss when the engine has a coordinator (engine/cluster sets one;
// a single node has none and pays nothing). The pipeline knows nothing of nodes, hashing or Redis.
import type { NegativeRecord } from '../cache/negative.js';
import type { Instance } from '../instance.js';
import type { Target, UpstreamResponse, Work } from './work.js';

export type FillClaim =
  /** fill here; `settled` is told how the fill ended (true: the body was stored) */
  | { type: 'local'; settled?(stored: boolean): void }
  /** another process answered: its response streams through and is not stored here (the other one stores it) */
  | { type: 'peer'; resp: UpstreamResponse }
  /** another process filled the key meanwhile: read the store again, fill here if it is still missing */
  | { type: 'recheck'; settled?(stored: boolean): void };

/** a whole request of a respond route that names an owner key (RouteSpec.owner) */
export interface OwnedRequest {
  inst: Instance;
  ownerKey: string;
  method: string;
  target: Target;
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
  requestId: string;
}

/** remembered "gone" answers (404/410) other processes may reuse instead of asking the upstream again */
export interface SharedNegatives {
  get(flightKey: string): Promise<NegativeRecord | undefined>;
  put(flightKey: string, rec: NegativeRecord): void;
}

export interface FillCoordinator {
  claim(w: Work): Promise<FillClaim>;
  /** the answer of the process that owns the request's owner key, or null: answer it here */
  owned?(r: OwnedRequest): Promise<UpstreamResponse | null>;
  negatives?: SharedNegatives;
}
