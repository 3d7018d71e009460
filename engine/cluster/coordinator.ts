// The cluster's answer to "who fetches this missing key" (the pipeline's FillCoordinator): the rendezvous owner
// among the healthy nodes, reached in one hop; then, when this node fills, a Redis lease guards against another
// node that sees a different ring at the same moment.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterConfig } from '../config/types.js';
import type { Instance } from '../instance.js';
import { m } from '../metrics.js';
import type { Logger } from '../mode.js';
import type { FillClaim, FillCoordinator, OwnedRequest } from '../pipeline/fill-claim.js';
import type { UpstreamResponse, Work } from '../pipeline/work.js';
import { redactWith } from '../log.js';
import { answerHeaders, Forwarder, HOP_HEADER, hopPath, mountedPath } from './forward.js';
import { Leases, type Lease } from './leases.js';
import { RedisNegatives } from './negatives.js';
import { HEALTH_PATH, Peers } from './peers.js';
import { ownerOf } from './rendezvous.js';

export class ClusterCoordinator implements FillCoordinator {
  readonly peers: Peers;
  private forwarder: Forwarder;
  readonly leases?: Leases;
  readonly negatives?: RedisNegatives;
  private events: { at: string; node: string; up: boolean; reason: string }[] = [];
  forwarded = 0;

  /** `guarded`: instances whose clients present tokens; their misses are not forwarded (the hop carries no client credentials) */
  constructor(private cfg: ClusterConfig, log: Logger, private guarded: (inst: Instance) => boolean = () => false) {
    this.forwarder = new Forwarder(cfg.self, cfg.connect_timeout);
    this.peers = new Peers({
      self: cfg.self, nodes: cfg.nodes, intervalMs: cfg.probe_interval, timeoutMs: cfg.probe_timeout, downAfter: cfg.down_after,
      probe: (node, signal) => this.forwarder.probe(node, HEALTH_PATH, signal),
      onChange: (node, up, reason) => {
        this.events.unshift({ at: new Date().toISOString(), node, up, reason });
        this.events.length = Math.min(this.events.length, 50);
        log.warn(up ? 'cluster node up' : 'cluster node down', { node, reason, healthy: this.peers.healthy().length });
      },
    });
    if (cfg.redis) {
      this.leases = new Leases(cfg.redis, cfg.self, cfg.lease_ttl, cfg.redis_timeout, log);
      this.negatives = new RedisNegatives(this.leases);
    }
  }

  start(): void { this.peers.start(); }

  async stop(): Promise<void> {
    this.peers.stop();
    this.leases?.close();
    await this.forwarder.close();
  }

  async claim(w: Work): Promise<FillClaim> {
    // one hop: a request another node sent is answered here
    const fromPeer = w.match.headers[HOP_HEADER] !== undefined;
    const path = fromPeer || this.guarded(w.inst) ? undefined : hopPath(w);
    // a key no node forwards (HEAD, rewritten kinds, an instance on its own listener) is each node's own fill
    if (!fromPeer && path === undefined) return { type: 'local' };
    if (path !== undefined) {
      for (let tries = 0; tries < this.cfg.nodes.length; tries++) {
        const owner = ownerOf(w.flightKey, this.peers.healthy())!;
        if (owner === this.cfg.self) break;
        const r = await this.forwarder.send(owner, w, path);
        if (r.type === 'answered') { this.count(w, 'forwarded'); return { type: 'peer', resp: r.resp }; }
        this.count(w, 'owner_unreachable');
        this.peers.markDown(owner, r.reason); // then the ring without it: maybe this node owns the key now
      }
    }
    return this.leased(w, path);
  }

  /**
   * A request whose route names an owner key (a git repository, a repository root): answered by that key's
   * owner among the healthy nodes, one hop, the request relayed whole. Null: answer it here (this node owns
   * it, it arrived by a hop, its instance is not forwarded, or no other node answers).
   */
  async owned(r: OwnedRequest): Promise<UpstreamResponse | null> {
    if (r.headers[HOP_HEADER] !== undefined || this.guarded(r.inst)) return null;
    const path = mountedPath(r.inst, r.target);
    if (path === undefined) return null;
    const ringKey = `${r.inst.name}#${r.ownerKey}`;
    for (let tries = 0; tries < this.cfg.nodes.length; tries++) {
      const owner = ownerOf(ringKey, this.peers.healthy())!;
      if (owner === this.cfg.self) return null;
      const hop = await this.forwarder.relay(owner, path, r);
      if (hop.type === 'answered') { this.forwarded++; m.clusterForwarded.inc({ instance: r.inst.name, result: 'owner_key' }); return { ...hop.resp, headers: answerHeaders(hop.resp.headers) }; }
      m.clusterForwarded.inc({ instance: r.inst.name, result: 'owner_unreachable' });
      this.peers.markDown(owner, hop.reason);
    }
    return null;
  }

  private async leased(w: Work, path: string | undefined): Promise<FillClaim> {
    if (!this.leases) return { type: 'local' };
    const t = await this.leases.take(w.flightKey);
    if (t.type === 'unavailable') return { type: 'local' };
    if (t.type === 'taken') return local(t.lease);
    const holder = t.holder;
    if (holder === this.cfg.self || !this.peers.isUp(holder) || !this.cfg.nodes.includes(holder)) {
      // a lease left by a node that is gone (or by this one before a restart)
      m.clusterLeaseWaits.inc({ result: 'taken_over' });
      return local(await this.leases.takeOver(w.flightKey));
    }
    if (path !== undefined) {
      const r = await this.forwarder.send(holder, w, path);
      if (r.type === 'answered') { this.count(w, 'holder'); m.clusterLeaseWaits.inc({ result: 'forwarded' }); return { type: 'peer', resp: r.resp }; }
      this.peers.markDown(holder, r.reason);
      m.clusterLeaseWaits.inc({ result: 'taken_over' });
      return local(await this.leases.takeOver(w.flightKey));
    }
    // sent here by another node (no second hop): wait for the holder's fill, then read the store
    const filled = await this.leases.waitFilled(w.flightKey, this.cfg.lease_wait, () => !this.peers.isUp(holder));
    m.clusterLeaseWaits.inc({ result: filled ? 'filled' : 'timeout' });
    const mine = filled ? undefined : await this.leases.takeOver(w.flightKey);
    return { type: 'recheck', settled: (stored) => mine?.release(stored) };
  }

  private count(w: Work, result: string): void {
    if (result === 'forwarded' || result === 'holder') this.forwarded++;
    m.clusterForwarded.inc({ instance: w.inst.name, result });
  }

  /** GET /-/cluster/health (the peers' probe) and GET /-/status/cluster */
  handle(req: IncomingMessage, res: ServerResponse, what: 'health' | 'status'): void {
    const doc = what === 'health' ? { node: this.cfg.self, ok: true } : this.statusDoc();
    const body = JSON.stringify(doc);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  statusDoc(): Record<string, unknown> {
    const iso = (t?: number) => (t ? new Date(t).toISOString() : null);
    const l = this.leases;
    return {
      self: this.cfg.self,
      healthy: this.peers.healthy(),
      nodes: this.peers.list().map((s) => ({
        node: s.node, self: s.node === this.cfg.self, up: s.up, consecutive_failures: s.failures,
        last_probe_at: iso(s.lastProbeAt), last_ok_at: iso(s.lastOkAt), last_error: s.lastError ?? null, changed_at: iso(s.changedAt),
      })),
      owner_changes: this.peers.changes,
      recent_changes: this.events,
      forwarded: this.forwarded,
      redis: l
        ? { configured: true, url: redactWith(this.cfg.redis!, []), state: l.state, last_error: l.lastError ?? null, leases_held: l.held, leases: l.counts }
        : { configured: false, state: 'not configured' },
    };
  }
}

function local(lease: Lease | undefined): FillClaim {
  return { type: 'local', settled: (stored) => lease?.release(stored) };
}
