// Remembered upstream 404/410 per key (storage.negative_ttl): in memory, LRU, not persisted.
export interface NegativeRecord { status: number; contentType?: string; body: Buffer; expiresAt: number }

export class NegativeCache {
  private map = new Map<string, NegativeRecord>();
  constructor(private max = 100_000) {}

  get(key: string, now = Date.now()): NegativeRecord | undefined {
    const r = this.map.get(key);
    if (!r) return undefined;
    if (r.expiresAt <= now) { this.map.delete(key); return undefined; }
    return r;
  }
  set(key: string, rec: NegativeRecord): void {
    this.map.delete(key);
    this.map.set(key, rec);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  delete(key: string): void { this.map.delete(key); }
}
