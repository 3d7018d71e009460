// A hash table from (tag, 32-byte digest) to a small integer id, kept in typed arrays: a million keys cost
// ~40 bytes each and nothing for the garbage collector to trace. Open addressing with linear probing and
// backward-shift deletion (no tombstones); the digests are sha256 values, so their first bytes are the hash.
const EMPTY = -1;
const DIGEST_BYTES = 32;

export class DigestMap {
  private table: Int32Array;
  private mask: number;
  private digests: Uint8Array;
  private tags: Uint16Array;
  private used: Uint8Array;
  private freeIds: number[] = [];
  private nextId = 0;
  private liveCount = 0;
  private readonly scratch = Buffer.alloc(DIGEST_BYTES);

  /** `onGrow(capacity)` lets the owner grow its per-id arrays to the new id capacity */
  constructor(private readonly onGrow: (capacity: number) => void = () => undefined, initial = 1024) {
    const cap = Math.max(16, 2 ** Math.ceil(Math.log2(initial)));
    this.table = new Int32Array(cap * 2).fill(EMPTY);
    this.mask = cap * 2 - 1;
    this.digests = new Uint8Array(cap * DIGEST_BYTES);
    this.tags = new Uint16Array(cap);
    this.used = new Uint8Array(cap);
  }

  get size(): number { return this.liveCount; }
  /** ids are below this bound */
  get idBound(): number { return this.nextId; }
  isLive(id: number): boolean { return id >= 0 && id < this.nextId && this.used[id] === 1; }
  tagOf(id: number): number { return this.tags[id]!; }
  hexOf(id: number): string { return Buffer.from(this.digests.buffer, this.digests.byteOffset + id * DIGEST_BYTES, DIGEST_BYTES).toString('hex'); }

  /** copy the digest of `id` into `target` at `offset` (32 bytes) */
  copyDigest(id: number, target: Uint8Array, offset: number): void {
    target.set(this.digests.subarray(id * DIGEST_BYTES, (id + 1) * DIGEST_BYTES), offset);
  }

  /** the id of (tag, digest), or -1 */
  find(tag: number, hex: string): number {
    if (!this.load(hex)) return -1;
    return this.findLoaded(tag);
  }

  /** upsert() for a digest given as 32 raw bytes */
  upsertBytes(tag: number, src: Uint8Array, offset: number): { id: number; created: boolean } {
    this.scratch.set(src.subarray(offset, offset + DIGEST_BYTES));
    return this.upsertLoaded(tag);
  }

  private findLoaded(tag: number): number {
    for (let i = this.home(tag); ; i = (i + 1) & this.mask) {
      const id = this.table[i]!;
      if (id === EMPTY) return -1;
      if (this.tags[id] === tag && this.equals(id)) return id;
    }
  }

  /** the id of (tag, digest), inserted if absent; `created` tells which */
  upsert(tag: number, hex: string): { id: number; created: boolean } {
    if (!this.load(hex)) throw new Error(`not a sha256 digest: ${hex.slice(0, 80)}`);
    return this.upsertLoaded(tag);
  }

  private upsertLoaded(tag: number): { id: number; created: boolean } {
    const found = this.findLoaded(tag);
    if (found >= 0) return { id: found, created: false };
    if ((this.liveCount + 1) * 10 > (this.mask + 1) * 7) this.rehash((this.mask + 1) * 2);
    const id = this.allocate();
    this.digests.set(this.scratch, id * DIGEST_BYTES);
    this.tags[id] = tag;
    this.used[id] = 1;
    let i = this.home(tag);
    while (this.table[i] !== EMPTY) i = (i + 1) & this.mask;
    this.table[i] = id;
    this.liveCount++;
    return { id, created: true };
  }

  delete(id: number): void {
    if (!this.isLive(id)) return;
    let i = this.homeOfId(id);
    while (this.table[i] !== id) i = (i + 1) & this.mask;
    this.table[i] = EMPTY;
    // backward shift: pull later members of the probe run into the hole so lookups never stop early
    for (let j = (i + 1) & this.mask; this.table[j] !== EMPTY; j = (j + 1) & this.mask) {
      const k = this.homeOfId(this.table[j]!);
      const between = i <= j ? i < k && k <= j : i < k || k <= j;
      if (!between) { this.table[i] = this.table[j]!; this.table[j] = EMPTY; i = j; }
    }
    this.used[id] = 0;
    this.freeIds.push(id);
    this.liveCount--;
  }

  /** every live id */
  *ids(): IterableIterator<number> {
    for (let id = 0; id < this.nextId; id++) if (this.used[id] === 1) yield id;
  }

  private load(hex: string): boolean {
    return hex.length === DIGEST_BYTES * 2 && this.scratch.write(hex, 0, DIGEST_BYTES, 'hex') === DIGEST_BYTES;
  }

  private equals(id: number): boolean {
    const d = this.digests, s = this.scratch, o = id * DIGEST_BYTES;
    for (let b = 0; b < DIGEST_BYTES; b++) if (d[o + b] !== s[b]) return false;
    return true;
  }

  private hashOf(tag: number, b0: number, b1: number, b2: number, b3: number): number {
    return (((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) ^ Math.imul(tag + 1, 0x9e3779b1)) & this.mask;
  }

  private home(tag: number): number {
    const s = this.scratch;
    return this.hashOf(tag, s[0]!, s[1]!, s[2]!, s[3]!);
  }

  private homeOfId(id: number): number {
    const d = this.digests, o = id * DIGEST_BYTES;
    return this.hashOf(this.tags[id]!, d[o]!, d[o + 1]!, d[o + 2]!, d[o + 3]!);
  }

  private allocate(): number {
    const reused = this.freeIds.pop();
    if (reused !== undefined) return reused;
    if (this.nextId === this.tags.length) this.growIds(this.tags.length * 2);
    return this.nextId++;
  }

  private growIds(cap: number): void {
    const digests = new Uint8Array(cap * DIGEST_BYTES); digests.set(this.digests); this.digests = digests;
    const tags = new Uint16Array(cap); tags.set(this.tags); this.tags = tags;
    const used = new Uint8Array(cap); used.set(this.used); this.used = used;
    this.onGrow(cap);
  }

  private rehash(tableSize: number): void {
    this.table = new Int32Array(tableSize).fill(EMPTY);
    this.mask = tableSize - 1;
    for (let id = 0; id < this.nextId; id++) {
      if (this.used[id] !== 1) continue;
      let i = this.homeOfId(id);
      while (this.table[i] !== EMPTY) i = (i + 1) & this.mask;
      this.table[i] = id;
    }
  }
}
