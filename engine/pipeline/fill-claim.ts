// Who fetches a missing key: this process, or another process whose answer streams through this one. The
// pipeline asks before the upstream GET of a miss when the engine has a coordinator (engine/cluster sets one;
// a single node has none and pays nothing). The pipeline knows nothing of nodes, hashing or Redis.
import type { UpstreamResponse, Work } from './work.js';

export type FillClaim =
  /** fill here; `settled` is told how the fill ended (true: the body was stored) */
  | { type: 'local'; settled?(stored: boolean): void }
  /** another process answered: its response streams through and is not stored here (the other one stores it) */
  | { type: 'peer'; resp: UpstreamResponse }
  /** another process filled the key meanwhile: read the store again, fill here if it is still missing */
  | { type: 'recheck'; settled?(stored: boolean): void };

export interface FillCoordinator {
  claim(w: Work): Promise<FillClaim>;
}
