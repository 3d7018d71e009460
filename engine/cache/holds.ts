// Blobs held against GC by their owners (see BlobHolds in store.ts).
import type { BlobHolds } from './store.js';

export class MemoryBlobHolds implements BlobHolds {
  private byOwner = new Map<string, Set<string>>();

  set(owner: string, digests: Iterable<string>): void {
    const s = new Set(digests);
    if (s.size) this.byOwner.set(owner, s); else this.byOwner.delete(owner);
  }

  add(owner: string, digest: string): void {
    let s = this.byOwner.get(owner);
    if (!s) this.byOwner.set(owner, (s = new Set()));
    s.add(digest);
  }

  has(digest: string): boolean {
    for (const s of this.byOwner.values()) if (s.has(digest)) return true;
    return false;
  }

  all(): Set<string> {
    const out = new Set<string>();
    for (const s of this.byOwner.values()) for (const d of s) out.add(d);
    return out;
  }

  /** each held digest with one owner that holds it */
  owners(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [owner, s] of this.byOwner) for (const d of s) if (!out.has(d)) out.set(d, owner);
    return out;
  }
}
