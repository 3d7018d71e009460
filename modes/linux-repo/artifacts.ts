// Artifacts against the package indexes: their expected digests (the union of every retained generation of
// every root), and what happens to artifacts no index lists (unindexed_artifacts: cache, pass or deny).
import type { Readable } from 'node:stream';
import type { VerifyResult } from '../../engine/mode.js';
import type { PackageEntry } from './package-index.js';
import { sleep, type RepoCore } from './core.js';
import { verifyingAlgs, type HashAlg } from './format.js';

/** what the engine's fill can check an artifact against */
const FILL_ALGS: readonly HashAlg[] = ['sha256', 'sha512', 'sha384', 'sha1', 'md5'];

export class ArtifactIndex {
  private memo = new Map<string, { epoch: number; entry: PackageEntry | undefined }>();
  constructor(private core: RepoCore) {}

  async expected(path: string): Promise<VerifyResult> {
    if (!this.core.s.verifyArtifacts) return null;
    await this.coldBuilds();
    const e = await this.lookup(path);
    if (!e) return null;
    // an index that pins only sha224 leaves the size: the fill computes no sha224
    const digests = Object.fromEntries(verifyingAlgs(e, FILL_ALGS).map((a) => [a, e[a]]));
    // what the fill cannot compute still tells a stored copy from a rebuilt one (apk's control-segment SHA-1)
    const pin = e.check ? `check:${e.check}` : undefined;
    return { size: e.size, ...digests, ...(pin ? { pin } : {}), source: 'the repository index' };
  }

  async check(path: string, open: () => Readable): Promise<string | null> {
    const { format, s } = this.core;
    if (!format.checkArtifact || !s.verifyArtifacts) return null;
    const e = await this.lookup(path);
    return e ? format.checkArtifact(e, open) : null;
  }

  async admit(path: string): Promise<'cache' | 'pass' | { status: number; message: string }> {
    const { unindexed } = this.core.s;
    if (unindexed === 'cache') return 'cache';
    await this.coldBuilds();
    if (await this.lookup(path)) return 'cache';
    return unindexed === 'pass' ? 'pass' : { status: 404, message: 'not listed by any repository index' };
  }

  /** requests that arrive during a cold build wait for it (bounded by cold_wait), so the first run can already verify */
  private async coldBuilds(): Promise<void> {
    const { colds, s } = this.core;
    if (colds.size) await Promise.race([Promise.allSettled([...colds.values()]), sleep(s.coldWaitMs)]);
  }

  async lookup(path: string): Promise<PackageEntry | undefined> {
    // every hit of a re-verified kind asks again: answer repeated questions from memory until an index changes
    const core = this.core;
    const m = this.memo.get(path);
    if (m && m.epoch === core.indexEpoch) return m.entry;
    const epoch = core.indexEpoch;
    let entry: PackageEntry | undefined;
    for (const rs of core.roots.values()) {
      for (const g of rs.gens) { entry = await g.index?.lookup(path); if (entry) break; }
      if (entry) break;
    }
    if (epoch !== core.indexEpoch) return entry; // the view changed while we looked: not remembered
    if (this.memo.size >= 10_000) this.memo.delete(this.memo.keys().next().value!);
    this.memo.set(path, { epoch, entry });
    return entry;
  }
}
