// In-memory index of every entry (entries/ on disk: docs/architecture.md): O(1) lookups, blob reference counts,
// last-use times for LRU, expiry times for cleanup. Rebuilt from entries/ in the background at start.
// Kept in typed arrays (about 75 bytes per entry, nothing for the garbage collector to trace).
import type { Entry, Store } from './store.js';
import { DigestMap } from './digest-map.js';

export interface IndexRecord { inst: string; keyHash: string; blob: string; size: number; lastUsed: number; expiresAt: number; evictable: boolean }

const TOUCH_PERSIST_MS = 3600_000;
export const SNAPSHOT_NAME = 'entry-index';
const SNAPSHOT_MAGIC = 'cache-proxy entry index v1\n';
// keyHash 32 + blob 32 + size, lastUsed, expiresAt (f64 each) + instance u16 + evictable u8
const RECORD_BYTES = 91;

export class EntryIndex {
  // per record id (struct of arrays, see DigestMap): blob id, size, last use, expiry, evictable, last persisted touch
  private readonly records = new DigestMap((cap) => this.growRecords(cap));
  private blobOf = new Uint32Array(1024);
  private sizeOf = new Float64Array(1024);
  private lastUsedOf = new Float64Array(1024);
  private expiresOf = new Float64Array(1024);
  private evictableOf = new Uint8Array(1024);
  private touchPersistedOf = new Uint32Array(1024); // seconds
  // per blob id: reference count
  private readonly blobs = new DigestMap((cap) => { const r = new Uint32Array(cap); r.set(this.refsOf); this.refsOf = r; });
  private refsOf = new Uint32Array(1024);
  private readonly instNames: string[] = [];
  private readonly instIds = new Map<string, number>();
  private perInstance = new Map<string, { bytes: number; count: number }>();
  private pendingTouches = new Map<number, { inst: string; keyHash: string; at: Date }>();
  /** during a reconcile pass: which records present at its start have been found on disk */
  private seen?: Uint8Array;
  private resolveReady!: () => void;
  readonly ready: Promise<void> = new Promise((r) => { this.resolveReady = r; });
  isReady = false;
  loadedFrom?: 'snapshot' | 'snapshot+reconcile' | 'scan';
  /** called when a blob loses its last reference (only once the index is complete) */
  onUnreferenced?: (blob: string) => void;
  evictable: (e: Entry) => boolean = () => true;

  private growRecords(cap: number): void {
    const grow = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => { const b = make(cap); b.set(a); return b; };
    this.blobOf = grow(this.blobOf, (n) => new Uint32Array(n));
    this.sizeOf = grow(this.sizeOf, (n) => new Float64Array(n));
    this.lastUsedOf = grow(this.lastUsedOf, (n) => new Float64Array(n));
    this.expiresOf = grow(this.expiresOf, (n) => new Float64Array(n));
    this.evictableOf = grow(this.evictableOf, (n) => new Uint8Array(n));
    this.touchPersistedOf = grow(this.touchPersistedOf, (n) => new Uint32Array(n));
  }

  private instId(inst: string): number {
    let id = this.instIds.get(inst);
    if (id === undefined) { id = this.instNames.length; this.instNames.push(inst); this.instIds.set(inst, id); }
    return id;
  }

  private stats(inst: string) {
    let s = this.perInstance.get(inst);
    if (!s) { s = { bytes: 0, count: 0 }; this.perInstance.set(inst, s); }
    return s;
  }

  private recordOf(inst: string, keyHash: string): number {
    const tag = this.instIds.get(inst);
    return tag === undefined ? -1 : this.records.find(tag, keyHash);
  }

  private materialise(id: number): IndexRecord {
    return {
      inst: this.instNames[this.records.tagOf(id)]!, keyHash: this.records.hexOf(id), blob: this.blobs.hexOf(this.blobOf[id]!), size: this.sizeOf[id]!,
      lastUsed: this.lastUsedOf[id]!, expiresAt: this.expiresOf[id]!, evictable: this.evictableOf[id] === 1,
    };
  }

  /** store one record's fields (the record id exists) and take a reference on its blob */
  private setRecord(id: number, inst: string, blob: string, size: number, lastUsed: number, expiresAt: number, evictable: boolean): void {
    this.setRecordFields(id, inst, this.blobs.upsert(0, blob).id, size, lastUsed, expiresAt, evictable);
  }

  private setRecordFields(id: number, inst: string, b: number, size: number, lastUsed: number, expiresAt: number, evictable: boolean): void {
    this.refsOf[b] = this.refsOf[b]! + 1;
    this.blobOf[id] = b;
    this.sizeOf[id] = size;
    this.lastUsedOf[id] = lastUsed;
    this.expiresOf[id] = expiresAt;
    this.evictableOf[id] = evictable ? 1 : 0;
    const st = this.stats(inst);
    st.bytes += size; st.count++;
  }

  /** give up a record's fields: instance totals and its blob reference */
  private releaseFields(inst: string, blobId: number, size: number): void {
    const st = this.stats(inst);
    st.bytes -= size; st.count--;
    const n = this.refsOf[blobId]! - 1;
    this.refsOf[blobId] = n;
    if (n === 0) {
      const hex = this.blobs.hexOf(blobId);
      this.blobs.delete(blobId);
      if (this.isReady) this.onUnreferenced?.(hex);
    }
  }

  add(e: Entry): void {
    const blob = e.blob.startsWith('sha256:') ? e.blob.slice(7) : e.blob;
    const { id, created } = this.records.upsert(this.instId(e.inst), e.keyHash);
    if (this.seen && id < this.seen.length) this.seen[id] = 1;
    if (created) this.touchPersistedOf[id] = 0;
    const old = created ? -1 : id;
    const oldBlob = this.blobOf[id]!, oldSize = this.sizeOf[id]!;
    // the new blob reference is taken before the old one is given up: re-adding the same blob never drops it
    this.setRecord(id, e.inst, blob, e.size, Date.parse(e.last_used_at) || Date.now(), e.expires_at ? Date.parse(e.expires_at) : Infinity, this.evictable(e));
    if (old >= 0) this.releaseFields(e.inst, oldBlob, oldSize);
  }

  remove(inst: string, keyHash: string): void {
    const id = this.recordOf(inst, keyHash);
    if (id < 0) return;
    this.releaseFields(inst, this.blobOf[id]!, this.sizeOf[id]!);
    this.records.delete(id);
    this.pendingTouches.delete(id);
  }

  /** certainly not stored: the index is complete (no reconcile pass running) and has no such record */
  knownAbsent(inst: string, keyHash: string): boolean {
    return this.snapshotSafe && this.recordOf(inst, keyHash) < 0;
  }

  get(inst: string, keyHash: string): IndexRecord | undefined {
    const id = this.recordOf(inst, keyHash);
    return id < 0 ? undefined : this.materialise(id);
  }

  touch(inst: string, keyHash: string, at = Date.now()): void {
    const id = this.recordOf(inst, keyHash);
    if (id < 0) return;
    const persisted = this.touchPersistedOf[id]! * 1000 || this.lastUsedOf[id]!;
    this.lastUsedOf[id] = at;
    if (at - persisted > TOUCH_PERSIST_MS) {
      this.pendingTouches.set(id, { inst, keyHash, at: new Date(at) });
      this.touchPersistedOf[id] = Math.floor(at / 1000);
    }
  }

  async flushTouches(store: Store): Promise<void> {
    const batch = [...this.pendingTouches.values()];
    this.pendingTouches.clear();
    if (batch.length) await store.entries.touch(batch);
  }

  isReferenced(blob: string): boolean { return this.blobs.find(0, blob) >= 0; }
  referencedBlobs(): Set<string> { const out = new Set<string>(); for (const b of this.blobs.ids()) out.add(this.blobs.hexOf(b)); return out; }
  count(inst?: string): number { return inst ? this.perInstance.get(inst)?.count ?? 0 : this.records.size; }
  bytes(inst?: string): number { return inst ? this.perInstance.get(inst)?.bytes ?? 0 : [...this.perInstance.values()].reduce((n, s) => n + s.bytes, 0); }
  instances(): string[] { return [...this.perInstance.keys()]; }

  /** each referenced blob (hex) with the instance of one entry that names it */
  blobOwners(): Map<string, string> {
    const out = new Map<string, string>();
    for (const id of this.records.ids()) {
      const hex = this.blobs.hexOf(this.blobOf[id]!);
      if (!out.has(hex)) out.set(hex, this.instNames[this.records.tagOf(id)]!);
    }
    return out;
  }

  /** distinct blob bytes (what the disk holds for entries) */
  totalBlobBytes(): number {
    const seen = new Map<number, number>();
    for (const id of this.records.ids()) seen.set(this.blobOf[id]!, this.sizeOf[id]!);
    let n = 0;
    for (const s of seen.values()) n += s;
    return n;
  }

  expired(inst: string, now: number, limit: number): IndexRecord[] {
    const out: IndexRecord[] = [];
    const tag = this.instIds.get(inst);
    if (tag === undefined) return out;
    for (const id of this.records.ids()) {
      if (this.records.tagOf(id) === tag && this.expiresOf[id]! <= now) { out.push(this.materialise(id)); if (out.length >= limit) break; }
    }
    return out;
  }

  /** evictable records, least recently used first (computed when the iteration starts; records gone since are skipped) */
  *lruCandidates(inst: string | null): IterableIterator<IndexRecord> {
    const tag = inst === null ? -1 : this.instIds.get(inst) ?? -2;
    if (tag === -2) return;
    const order: { id: number; at: number }[] = [];
    for (const id of this.records.ids()) if ((tag === -1 || this.records.tagOf(id) === tag) && this.evictableOf[id] === 1) order.push({ id, at: this.lastUsedOf[id]! });
    order.sort((a, b) => a.at - b.at);
    for (const { id, at } of order) if (this.records.isLive(id) && this.lastUsedOf[id] === at) yield this.materialise(id);
  }

  /** the whole index as bytes: written at a clean stop so the next start needs no scan of entries/ */
  encode(fingerprint?: string): Buffer {
    const head = Buffer.from(`${SNAPSHOT_MAGIC}${JSON.stringify({ count: this.records.size, instances: this.instNames, fingerprint })}\n`);
    const body = Buffer.allocUnsafe(this.records.size * RECORD_BYTES);
    let o = 0;
    for (const id of this.records.ids()) {
      this.records.copyDigest(id, body, o);
      this.blobs.copyDigest(this.blobOf[id]!, body, o + 32);
      body.writeDoubleLE(this.sizeOf[id]!, o + 64);
      body.writeDoubleLE(this.lastUsedOf[id]!, o + 72);
      body.writeDoubleLE(this.expiresOf[id]!, o + 80);
      body.writeUInt16LE(this.records.tagOf(id), o + 88);
      body.writeUInt8(this.evictableOf[id]!, o + 90);
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
      const inst = meta.instances[data.readUInt16LE(o + 88)];
      if (inst === undefined) return null;
      const { id, created } = this.records.upsertBytes(this.instId(inst), data, o);
      if (!created) continue; // added since start: the live record wins
      this.touchPersistedOf[id] = 0;
      this.setRecordFields(id, inst, this.blobs.upsertBytes(0, data, o + 32).id, data.readDoubleLE(o + 64), data.readDoubleLE(o + 72), data.readDoubleLE(o + 80), data[o + 90] === 1);
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
    await this.scan(store);
    this.markReady();
  }

  private markReady(): void {
    this.isReady = true;
    this.resolveReady();
  }

  private async scan(store: Store): Promise<void> {
    let n = 0;
    for (const inst of await store.entries.instances()) {
      for await (const e of store.entries.list(inst)) {
        const id = this.recordOf(e.inst, e.keyHash);
        if (id >= 0 && this.seen && id < this.seen.length) this.seen[id] = 1;
        if (id < 0 || this.blobs.hexOf(this.blobOf[id]!) !== e.blob.replace(/^sha256:/, '') || this.sizeOf[id] !== e.size) this.add(e);
        if (++n % 1000 === 0) await new Promise((r) => setImmediate(r));
      }
    }
  }

  /** the index may become the next start's truth: complete and not in the middle of a reconcile pass */
  get snapshotSafe(): boolean { return this.isReady && this.seen === undefined; }

  private async reconcile(store: Store): Promise<void> {
    // records present now and not met on disk by the end are gone; records written meanwhile mark themselves
    const seen = new Uint8Array(this.records.idBound);
    const present = new Uint8Array(this.records.idBound);
    for (const id of this.records.ids()) present[id] = 1;
    this.seen = seen;
    try {
      await this.scan(store);
    } finally {
      this.seen = undefined;
    }
    for (let id = 0; id < present.length; id++) {
      if (present[id] === 1 && seen[id] === 0 && this.records.isLive(id)) this.remove(this.instNames[this.records.tagOf(id)]!, this.records.hexOf(id));
    }
  }
}
