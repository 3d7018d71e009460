// Stored entries as the pipeline sees them: lookup with first-sight checks, the in-memory entry cache,
// timestamps, freshness and expiry, and small blobs held in memory.
import type { Entry } from '../cache/store.js';
import { streamToBuffer } from './bodies.js';
import type { EngineCtx } from './context.js';
import { type Work, iso } from './work.js';

// small blobs are served from memory: a 4 KiB hit then costs no file system call
export const SMALL_BLOB = 64 * 1024;
export async function smallBlob(ctx: EngineCtx, digest: string): Promise<Buffer | undefined> {
  const hit = ctx.state.smallBlobs.get(digest);
  if (hit) return hit;
  try {
    const buf = await streamToBuffer(await ctx.store.blobs.open(digest));
    ctx.state.smallBlobs.set(digest, buf);
    return buf;
  } catch { return undefined; }
}

export function isFresh(w: Work, e: Entry): boolean {
  const f = w.resolved.freshMs;
  if (f === undefined) return false;
  return f === Infinity || Date.now() - timesOf(e).validated < f;
}

export function expiresAt(w: Work, base: number): string | null {
  return w.resolved.expireMs === Infinity ? null : iso(base + w.resolved.expireMs);
}

export async function lookup(ctx: EngineCtx, w: Work): Promise<Entry | null> {
  let e: Entry | null | undefined = ctx.state.entries.get(w.flightKey);
  if (!e) {
    // this process's index lists every record only when no other process writes any
    if (ctx.index.knownAbsent?.(w.inst.name, w.keyHash) && !ctx.store?.shared) return null;
    e = await firstSight(ctx, w);
    if (!e) return null;
  }
  if (e.expires_at && timesOf(e).expires <= Date.now()) return null;
  return e;
}

/**
 * First sight of a record since start: read from the store, kept only when its blob exists with the right size.
 * Requests for one key at once share one read: with a shared store it is a bucket round trip, and a storm's
 * requests should neither multiply it nor come out of it seconds apart.
 */
const readsInFlight = new WeakMap<object, Map<string, Promise<Entry | null>>>();
function firstSight(ctx: EngineCtx, w: Work): Promise<Entry | null> {
  let reads = readsInFlight.get(ctx.state);
  if (!reads) readsInFlight.set(ctx.state, reads = new Map());
  const running = reads.get(w.flightKey);
  if (running) return running;
  const read = (async () => {
    const e = await ctx.store.entries.get(w.inst.name, w.keyHash);
    if (!e) return null;
    const st = await ctx.store.blobs.stat(e.blob.slice(7));
    if (!st || st.size !== e.size) {
      await deleteEntry(ctx, w.inst.name, w.keyHash);
      return null;
    }
    cacheEntry(ctx, e);
    return e;
  })().finally(() => reads.delete(w.flightKey));
  reads.set(w.flightKey, read);
  return read;
}

export function cacheEntry(ctx: EngineCtx, e: Entry): void {
  ctx.state.entries.set(`${e.inst}/${e.keyHash}`, e);
}

export function forgetEntry(ctx: EngineCtx, inst: string, keyHash: string): void {
  ctx.state.entries.delete(`${inst}/${keyHash}`);
}

export async function deleteEntry(ctx: EngineCtx, inst: string, keyHash: string): Promise<void> {
  forgetEntry(ctx, inst, keyHash);
  await ctx.store.entries.delete(inst, keyHash).catch(() => undefined);
  ctx.index.removed(inst, keyHash);
}

/** an entry's timestamps parsed once: entries are replaced, never mutated, so a WeakMap memo is safe */
interface EntryTimes { validated: number; lastUsed: number; expires: number; fetchedHttp: string; expiresHttp?: string }
const entryTimes = new WeakMap<Entry, EntryTimes>();
export function timesOf(e: Entry): EntryTimes {
  let t = entryTimes.get(e);
  if (!t) {
    t = {
      validated: Date.parse(e.validated_at), lastUsed: Date.parse(e.last_used_at), expires: e.expires_at ? Date.parse(e.expires_at) : Infinity, fetchedHttp: new Date(e.fetched_at).toUTCString(),
      expiresHttp: e.expires_at ? new Date(e.expires_at).toUTCString() : undefined,
    };
    entryTimes.set(e, t);
  }
  return t;
}
