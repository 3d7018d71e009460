// The other nodes' health as this node sees it: a probe of each (GET /-/cluster/health) every interval; a node
// is down after `downAfter` failed probes in a row (or at once when a forward to it cannot connect) and up again
// at its first answer. The healthy set (self always in it) is what the ring hashes over.
import { m } from '../metrics.js';

export const HEALTH_PATH = '/-/cluster/health';

export interface PeerState {
  node: string; up: boolean; failures: number;
  lastProbeAt?: number; lastOkAt?: number; lastError?: string; changedAt: number;
}

export interface PeersOptions {
  self: string; nodes: string[]; intervalMs: number; timeoutMs: number; downAfter: number;
  /** resolves when the node answered its health endpoint with 200; rejects (or false) otherwise */
  probe(node: string, signal: AbortSignal): Promise<boolean>;
  onChange?(node: string, up: boolean, reason: string): void;
}

export class Peers {
  private states = new Map<string, PeerState>();
  private healthyNodes: string[];
  private timer?: NodeJS.Timeout;
  private probing = new Set<string>();
  /** changes of the healthy set since start */
  changes = 0;

  constructor(private o: PeersOptions) {
    const now = Date.now();
    // optimistic start: every node counts as up until it fails, so all nodes begin with the same ring
    for (const n of o.nodes) this.states.set(n, { node: n, up: true, failures: 0, changedAt: now });
    this.healthyNodes = [...o.nodes];
    for (const n of o.nodes) m.clusterNodeUp.set({ node: n }, 1);
  }

  /** self and every peer currently up */
  healthy(): readonly string[] { return this.healthyNodes; }
  isUp(node: string): boolean { return this.states.get(node)?.up === true; }
  list(): PeerState[] { return [...this.states.values()].map((s) => ({ ...s })); }

  start(): void {
    if (this.timer || this.o.nodes.length < 2) return;
    this.timer = setInterval(() => this.probeAll(), this.o.intervalMs);
    this.timer.unref();
    this.probeAll();
  }

  stop(): void { if (this.timer) clearInterval(this.timer); this.timer = undefined; }

  /** a forward to `node` could not reach it: out of the ring now, back at its next good probe */
  markDown(node: string, reason: string): void {
    const s = this.states.get(node);
    if (!s || node === this.o.self) return;
    s.lastError = reason;
    s.failures = Math.max(s.failures, this.o.downAfter);
    this.set(s, false, reason);
  }

  /** one probe result (exposed for tests) */
  record(node: string, ok: boolean, error?: string): void {
    const s = this.states.get(node);
    if (!s || node === this.o.self) return;
    s.lastProbeAt = Date.now();
    if (ok) { s.failures = 0; s.lastOkAt = s.lastProbeAt; this.set(s, true, 'probe answered'); return; }
    s.failures++;
    s.lastError = error ?? 'probe failed';
    if (s.failures >= this.o.downAfter) this.set(s, false, s.lastError);
  }

  private set(s: PeerState, up: boolean, reason: string): void {
    if (s.up === up) return;
    s.up = up;
    s.changedAt = Date.now();
    this.healthyNodes = this.o.nodes.filter((n) => n === this.o.self || this.states.get(n)!.up);
    this.changes++;
    m.clusterOwnerChanges.inc();
    m.clusterNodeUp.set({ node: s.node }, up ? 1 : 0);
    this.o.onChange?.(s.node, up, reason);
  }

  private probeAll(): void {
    for (const n of this.o.nodes) {
      if (n === this.o.self || this.probing.has(n)) continue;
      this.probing.add(n);
      const signal = AbortSignal.timeout(this.o.timeoutMs);
      this.o.probe(n, signal).then(
        (ok) => this.record(n, ok, ok ? undefined : 'unhealthy answer'),
        (e: Error) => this.record(n, false, signal.aborted ? 'probe timed out' : shortError(e)),
      ).finally(() => this.probing.delete(n));
    }
  }
}

export function shortError(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  return (err.code ?? err.cause?.code ?? err.message ?? 'error').slice(0, 120);
}
