// The default backend: the mirror operated by the system `git` (mirror.ts: fetch into staging refs, snapshots
// as ref namespaces, a background repack with a bitmap index after a sync) and served by `git upload-pack
// --stateless-rpc` (upload-pack.ts), identical exchanges in flight sharing one run.
import type { RespondOutput } from '../../../engine/mode.js';
import type { ExchangeCounters, GitBackend, ServeRequest } from '../backend.js';
import { Mirror, namespaceOf } from '../mirror.js';
import type { RepoSpec } from '../settings.js';
import type { SharedRuns } from '../shared-runs.js';
import { advertise, exchange, type ServeTarget } from '../upload-pack.js';

export class GitBinaryBackend extends Mirror implements GitBackend {
  constructor(dir: string, spec: RepoSpec, timeoutMs: number, private shared: SharedRuns, onMaintenanceFailed?: (message: string) => void) {
    super(dir, spec, timeoutMs, onMaintenanceFailed);
  }

  private target(r: ServeRequest): ServeTarget {
    return { dir: this.dir, namespace: namespaceOf(r.snapshot.n), protocol: r.protocol, agent: r.agent };
  }

  advertise(r: ServeRequest): Promise<RespondOutput> {
    return advertise(this.target(r));
  }

  exchange(r: ServeRequest, body: Buffer, command: string | undefined, counted: ExchangeCounters): Promise<RespondOutput> {
    return exchange(this.target(r), body, command, this.shared, counted);
  }
}
