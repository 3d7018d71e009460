// In-memory index of every entry (engine spec §5.2): O(1) lookups, blob reference counts,
// last-use times for LRU, expiry times for cleanup. Rebuilt from entries/ in the background at start.
import type { Entry, Store } from './store.js';

export interface IndexRecord { inst: string; keyHash: string; blob: string; size: number; lastUsed: number; expiresAt: number; evictable: boolean }

const TOUCH_PERSIST_MS = 3600_000;
export const SNAPSHOT_NAME = 'entry-index';
const SNAPSHOT_MAGIC = 'cache-proxy entry index v1\n';
// keyHash 32 + blob 32 + size, lastUsed, expiresAt (f64 each) + instance u16 + evictable u8
const RECORD_BYTES = 91;

export class EntryIndex {
  private recs = new Map<string, IndexRecord>();
  private refs = new Map<string, number>();
  private perInstance = new Map<string, { bytes: number; count: number }>();
  private pendingTouches = new Map<string, { inst: string; keyHash: string; at: Date }>();
  private persistedTouch = new Map<string, number>();
  /** during a reconcile pass: snapshot records not yet found on disk (records written meanwhile are live truth) */
  private unseen?: Set<string>;
  private resolveReady!: () => void;
  readonly ready: Promise<void> = new Promise((r) => { this.resolveReady = r; });
  isReady = false;
  loadedFrom?: 'snapshot' | 'snapshot+reconcile' | 'scan';
  /** called when a blob loses its last reference (only once the index is complete) */
  onUnreferenced?: (blob: string) => void;
  evictable: (e: Entry) => boolean = () => true;

  private stats(inst: string) {
    let s = this.perInstance.get(inst);
    if (!s) { s = { bytes: 0, count: 0 }; this.perInstance.set(inst, s); }
    return s;
  }

  add(e: Entry): void {
    const k = `${e.inst}/${e.keyHash}`;
    this.unseen?.delete(k);
    const old = this.recs.get(k);
    const blob = e.blob.startsWith('sha256:') ? e.blob.slice(7) : e.blob;
    const rec: IndexRecord = {
      inst: e.inst, keyHash: e.keyHash, blob, size: e.size,
      lastUsed: Date.parse(e.last_used_at) || Date.now(), expiresAt: e.expires_at ? Date.parse(e.expires_at) : Infinity, evictable: this.evictable(e),
    };
    this.recs.set(k, rec);
    this.refs.set(blob, (this.refs.get(blob) ?? 0) + 1);
    const s = this.stats(e.inst);
    s.bytes += e.size; s.count++;
    if (old) this.drop(old);
  }

  private drop(old: IndexRecord): void {
    const s = this.stats(old.inst);
    s.bytes -= old.size; s.count--;
    const n = (this.refs.get(old.blob) ?? 1) - 1;
    if (n <= 0) {
      this.refs.delete(old.blob);
      if (this.isReady) this.onUnreferenced?.(old.blob);
    } else this.refs.set(old.blob, n);
  }

  remove(inst: string, keyHash: string): void {
    const k = `${inst}/${keyHash}`;
    const old = this.recs.get(k);
    if (!old) return;
    this.recs.delete(k);
    this.drop(old);
  }

  get(inst: string, keyHash: string): IndexRecord | undefined { return this.recs.get(`${inst}/${keyHash}`); }

  touch(inst: string, keyHash: string, at = Date.now()): void {
    const k = `${inst}/${keyHash}`;
    const r = this.recs.get(k);
    if (!r) return;
    r.lastUsed = at;
    if (at - (this.persistedTouch.get(k) ?? r.lastUsed - TOUCH_PERSIST_MS - 1) > TOUCH_PERSIST_MS) {
      this.pendingTouches.set(k, { inst, keyHash, at: new Date(at) });
      this.persistedTouch.set(k, at);
    }
  }

  async flushTouches(store: Store): Promise<void> {
    const batch = [...this.pendingTouches.values()];
    this.pendingTouches.clear();
    if (batch.length) await store.entries.touch(batch);
  }

  isReferenced(blob: string): boolean { return (this.refs.get(blob) ?? 0) > 0; }
  referencedBlobs(): Set<string> { return new Set(this.refs.keys()); }
  count(inst?: string): number { return inst ? this.perInstance.get(inst)?.count ?? 0 : this.recs.size; }
  bytes(inst?: string): number { return inst ? this.perInstance.get(inst)?.bytes ?? 0 : [...this.perInstance.values()].reduce((n, s) => n + s.bytes, 0); }
  instances(): string[] { return [...this.perInstance.keys()]; }

  /** distinct blob bytes (what the disk holds for entries) */
  totalBlobBytes(): number {
    const seen = new Map<string, number>();
    for (const r of this.recs.values()) seen.set(r.blob, r.size);
    let n = 0;
    for (const s of seen.values()) n += s;
    return n;
  }

  expired(inst: string, now: number, limit: number): IndexRecord[] {
    const out: IndexRecord[] = [];
    for (const r of this.recs.values()) {
      if (r.inst === inst && r.expiresAt <= now) { out.push(r); if (out.length >= limit) break; }
    }
    return out;
  }

  /** least recently used first */
  lruCandidates(inst: string | null): IndexRecord[] {
    const list: IndexRecord[] = [];
    for (const r of this.recs.values()) if ((inst === null || r.inst === inst) && r.evictable) list.push(r);
    return list.sort((a, b) => a.lastUsed - b.lastUsed);
  }

  /** the whole index as bytes: written at a clean stop so the next start needs no scan of entries/ */
  encode(fingerprint?: string): Buffer {
    const insts = [...new Set([...this.recs.values()].map((r) => r.inst))];
    const head = Buffer.from(`${SNAPSHOT_MAGIC}${JSON.stringify({ count: this.recs.size, instances: insts, fingerprint })}\n`);
    const body = Buffer.allocUnsafe(this.recs.size * RECORD_BYTES);
    let o = 0;
    for (const r of this.recs.values()) {
      body.write(r.keyHash, o, 32, 'hex');
      body.write(r.blob, o + 32, 32, 'hex');
      body.writeDoubleLE(r.size, o + 64);
      body.writeDoubleLE(r.lastUsed, o + 72);
      body.writeDoubleLE(r.expiresAt, o + 80);
      body.writeUInt16LE(insts.indexOf(r.inst), o + 88);
      body.writeUInt8(r.evictable ? 1 : 0, o + 90);
      o += RECORD_BYTES;
    }
    return Buffer.concat([head, body]);
  }

  /** load an encoded index; null (and nothing loaded) if the bytes are not a whole snapshot, else its fingerprint */
  decode(data: Buffer): { fingerprint?: string } | null {
    if (data.subarray(0, SNAPSHOT_MAGIC.length).toString() !== SNAPSHOT_MAGIC) return null;
    const nl = data.indexOf(10, SNAPSHOT_MAGIC.length);
    if (nl < 0) return null;
    let meta: { count: number; instances: string[]; fingerprint?: string };
    try { meta = JSON.parse(data.subarray(SNAPSHOT_MAGIC.length, nl).toString()); } catch { return null; }
    if (data.length !== nl + 1 + meta.count * RECORD_BYTES) return null;
    for (let i = 0, o = nl + 1; i < meta.count; i++, o += RECORD_BYTES) {
      const inst = meta.instances[data.readUInt16LE(o + 88)]!;
      const rec: IndexRecord = {
        inst, keyHash: data.toString('hex', o, o + 32), blob: data.toString('hex', o + 32, o + 64), size: data.readDoubleLE(o + 64),
        lastUsed: data.readDoubleLE(o + 72), expiresAt: data.readDoubleLE(o + 80), evictable: data[o + 90] === 1,
      };
      const k = `${inst}/${rec.keyHash}`;
      if (this.recs.has(k)) continue; // added since start: the live record wins
      this.recs.set(k, rec);
      this.refs.set(rec.blob, (this.refs.get(rec.blob) ?? 0) + 1);
      const st = this.stats(inst);
      st.bytes += rec.size; st.count++;
    }
    return { fingerprint: meta.fingerprint };
  }

  /**
   * A snapshot from the last clean stop if there is one (it is consumed): the index is ready at once. When
   * entries/ changed since that stop (records planted, damaged or removed while stopped), a background pass
   * then reconciles the index with the disk. Without a snapshot, a scan of every record.
   */
  async rebuild(store: Store): Promise<void> {
    const snap = await store.snapshots.take(SNAPSHOT_NAME);
    const loaded = snap ? this.decode(snap) : null;
    if (loaded) {
      this.loadedFrom = 'snapshot';
      const now = await store.entries.fingerprint?.();
      this.markReady();
      if (now === undefined || now !== loaded.fingerprint) {
        this.loadedFrom = 'snapshot+reconcile';
        await this.reconcile(store);
      }
      return;
    }
    this.loadedFrom = 'scan';
    await this.scan(store, () => undefined);
    this.markReady();
  }

  private markReady(): void {
    this.isReady = true;
    this.resolveReady();
  }

  private async scan(store: Store, seen: (k: string) => void): Promise<void> {
    let n = 0;
    for (const inst of await store.entries.instances()) {
      for await (const e of store.entries.list(inst)) {
        const k = `${e.inst}/${e.keyHash}`;
        seen(k);
        const have = this.recs.get(k);
        if (!have || have.blob !== e.blob.replace(/^sha256:/, '') || have.size !== e.size) this.add(e);
        if (++n % 1000 === 0) await new Promise((r) => setImmediate(r));
      }
    }
  }

  /** the index may become the next start's truth: complete and not in the middle of a reconcile pass */
  get snapshotSafe(): boolean { return this.isReady && this.unseen === undefined; }

  private async reconcile(store: Store): Promise<void> {
    const unseen = new Set(this.recs.keys());
    this.unseen = unseen;
    try {
      await this.scan(store, (k) => unseen.delete(k));
    } finally {
      this.unseen = undefined;
    }
    for (const k of unseen) {
      const r = this.recs.get(k);
      if (r) this.remove(r.inst, r.keyHash);
    }
  }
}
