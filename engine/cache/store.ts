// Narrow storage interfaces (layout on disk: docs/architecture.md). The filesystem store (fs-store.ts) and the
// S3 store (s3-store.ts, docs/scale-out.md) implement them; both fill through a local tmp/ directory.
import type { Readable } from 'node:stream';
import type { DiskUsage } from './disk-usage.js';

export interface Entry {
  inst: string;
  keyHash: string; // sha256(key) hex
  key: string;
  kind: string;
  blob: string; // 'sha256:<hex>'
  size: number;
  status: number; // 200
  headers: Record<string, string>;
  etag?: string;
  last_modified?: string;
  digests: Record<string, string>; // algo -> hex
  vary?: Record<string, string>;
  upstream?: string;
  policy: string;
  fetched_at: string; // ISO-8601 UTC
  validated_at: string;
  last_used_at: string;
  expires_at: string | null; // null = never
  meta?: Record<string, unknown>;
}

export interface BlobStore {
  stat(digest: string): Promise<{ size: number } | null>;
  open(digest: string, range?: { start: number; end: number }): Promise<Readable>;
  /** where the blob always is as a file (a store that keeps every blob on this machine) */
  localPath?(digest: string): string;
  /** a file on this machine holding the blob, fetched into a local cache first when the store is remote
   *  (a caller that needs a path: sendfile, a mode reading a generation's files) */
  localFile(digest: string): Promise<string>;
  /** makes the verified body in `tempFile` (fsynced by its writer) or, when given, `data` (written to `tempFile` first)
   *  the blob `digest`; 'existed' if the blob was already there (temp removed) */
  commit(tempFile: string, digest: string, data?: Buffer[]): Promise<'stored' | 'existed'>;
  delete(digest: string): Promise<void>;
  list(after?: string): AsyncIterable<{ digest: string; size: number; mtime: Date }>;
}

export interface EntryStore {
  get(inst: string, keyHash: string): Promise<Entry | null>;
  put(e: Entry): Promise<void>; // atomic
  delete(inst: string, keyHash: string): Promise<void>;
  list(inst: string): AsyncIterable<Entry>;
  instances(): Promise<string[]>;
  touch(batch: { inst: string; keyHash: string; at: Date }[]): Promise<void>;
  /** an opaque stamp that changes whenever any record is added, replaced or removed (optional: without it every
   *  start after a snapshot reconciles in the background) */
  fingerprint?(): Promise<string>;
}

/**
 * Blobs kept by something other than an entry (a mode's repository generations): blob GC and the removal of
 * an entry that shared the blob leave them alone. Held in memory; an owner declares its set again at start.
 */
export interface BlobHolds {
  /** replace every digest (hex sha256) `owner` holds */
  set(owner: string, digests: Iterable<string>): void;
  add(owner: string, digest: string): void;
  has(digest: string): boolean;
  /** every held digest (the GC's extra references) */
  all(): Set<string>;
}

export interface StateStore {
  read(name: string): Promise<unknown>;
  write(name: string, doc: unknown): Promise<void>; // atomic
}

export interface StoreUsage {
  usage(): Promise<{ blobBytes: number; tmpBytes: number; freeBytes: number }>;
}

/** Where fills write their temp files (same filesystem as blobs). */
export interface TempArea {
  /** a fresh path under tmp/ (file not yet created) */
  tempPath(suffix?: string): string;
  /** remove every file in tmp/ (start-up, holding the lock) */
  clear(): Promise<number>;
}

/** Binary documents that are valid once: read and removed at start, written at a clean stop. */
export interface SnapshotStore {
  /** the snapshot's bytes (and the snapshot is gone from the store), or null */
  take(name: string): Promise<Buffer | null>;
  write(name: string, data: Buffer): Promise<void>;
}

export interface Store extends StoreUsage, TempArea {
  blobs: BlobStore;
  entries: EntryStore;
  state: StateStore;
  snapshots: SnapshotStore;
  /** directory for mode-private data of an instance (created on demand) */
  privateDir(inst: string): string;
  /** other processes add records too (several nodes on one bucket): a key this process never saw may be stored */
  readonly shared?: boolean;
  /** what the store takes, per area and instance; `blobOwner` names the instance a blob belongs to */
  diskUsage(blobOwner: (hex: string) => string | undefined, o?: { kinds?: boolean }): Promise<DiskUsage>;
  close(): Promise<void>;
}

export function blobDigest(blob: string): string {
  return blob.startsWith('sha256:') ? blob.slice(7) : blob;
}
