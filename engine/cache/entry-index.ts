// In-memory index of every entry (engine spec §5.2): O(1) lookups, blob reference counts,
// last-use times for LRU, expiry times for cleanup. Rebuilt from entries/ in the background at start.
import type { Entry, Store } from './store.js';

export interface IndexRecord { inst: string; keyHash: string; blob: string; size: number; lastUsed: number; expiresAt: number; evictable: boolean }

const TOUCH_PERSIST_MS = 3600_000;

export class EntryIndex {
  private recs = new Map<string, IndexRecord>();
  private refs = new Map<string, number>();
  private perInstance = new Map<string, { bytes: number; count: number }>();
  private pendingTouches = new Map<string, { inst: string; keyHash: string; at: Date }>();
  private persistedTouch = new Map<string, number>();
  private resolveReady!: () => void;
  readonly ready: Promise<void> = new Promise((r) => { this.resolveReady = r; });
  isReady = false;
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

  async rebuild(store: Store): Promise<void> {
    let n = 0;
    for (const inst of await store.entries.instances()) {
      for await (const e of store.entries.list(inst)) {
        if (!this.recs.has(`${e.inst}/${e.keyHash}`)) this.add(e);
        if (++n % 1000 === 0) await new Promise((r) => setImmediate(r));
      }
    }
    this.isReady = true;
    this.resolveReady();
  }
}
