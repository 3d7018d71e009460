// Streaming single-flight fill: one upstream body is written to tmp/ and
// hashed as it arrives; any number of readers follow at their own pace from the growing file.
// The fill belongs to no client; a withheld tail protects verified kinds; commit is atomic.
import { createHash, type Hash } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { Digests } from '../mode.js';
import { takeChunkSize } from '../http/send-file.js';

export type FillResult = 'stored' | 'deduplicated' | 'verify_failed' | 'unverified' | 'truncated' | 'upstream_error' | 'detached_budget' | 'no_space' | 'too_large' | 'aborted' | 'commit_failed';

/** what a verifying kind expects of a body */
export type Expectation = Digests & {
  source?: string;
  skip?: boolean;
  /** with skip: the body is stored all the same (still counted as unverified) */
  keep?: boolean;
  describe?: (algo: string, expected: string, actual: string) => string;
  /** the body contradicts this expectation: asked before the failure is declared; true = the source, asked again, agrees */
  onMismatch?: (algo: string, actual: string) => Promise<boolean | void>;
};

export interface FillOptions {
  body: Readable;
  /** from upstream Content-Length, if any */
  contentLength?: number;
  tempPath: string;
  /** expected digests; a promise because verify sources may be fetched in parallel */
  expected?: Promise<Expectation | null>;
  /** bodies longer than this fail (rewrite and index kinds) */
  maxBytes?: number;
  /** bytes a fill may still fetch once no reader is attached */
  detachedBudget: number;
  /** store the body? false → pass-through only (too large, store degraded) */
  store: boolean;
  /**
   * the body is never stored, its temp file (with `store`) only a spool its readers follow at their own pace:
   * no digest is computed beyond those an expectation names, the temp file is not synced, `commit` is never
   * called and the fill takes no slot among the bodies waiting for their commit
   */
  transient?: boolean;
  /** checks the complete temp file before commit; throws VerifyError to fail the fill */
  check?: (tempPath: string, size: number) => Promise<void>;
  /** commits the verified body: the temp file, or `data` when the body never went to one; returns the outcome */
  commit: (tempPath: string, digests: Record<string, string>, size: number, data?: Buffer[]) => Promise<{ result: 'stored' | 'deduplicated'; path: string }>;
  isNoSpace: (err: unknown) => boolean;
  onNoSpace?: (err: unknown) => void;
  memoryWindow?: number;
  /** fault injection for tests: writes beyond this many bytes fail with ENOSPC */
  failWritesAfter?: number;
  /** fault injection for tests: opening the temp file takes this long (a slow or busy disk) */
  slowOpenMs?: number;
}

const WITHHELD = 64 * 1024;
const RECENT_WINDOW = 8 * 1024 * 1024;
/** bodies up to this size stay in memory while anyone reads them: their readers never open the file */
const SMALL_BODY = 1024 * 1024;
/** bodies of a known length up to this size are held in memory only and written once, by the commit */
const INLINE_BODY = 256 * 1024;
/** bytes received but not yet written to the temp file before the upstream is read no further */
const MAX_UNWRITTEN = 4 * 1024 * 1024;
/** bytes in memory one reader hands over at once (shared chunks, no copy) */
const BATCH = 1024 * 1024;
const NOTIFY_BYTES = 256 * 1024;
const NOTIFY_MS = 4;

/**
 * Bodies released to their readers ahead of their commit, at most this many at once: beyond it a verified
 * body waits for an earlier commit before its tail goes out, so a disk slower than the clients cannot pile
 * up uncommitted fills (each holds a temp file and up to SMALL_BODY in memory).
 */
const MAX_UNCOMMITTED = 256;
let uncommitted = 0;
const waitingForCommit: (() => void)[] = [];
async function uncommittedSlot(): Promise<() => void> {
  if (uncommitted >= MAX_UNCOMMITTED) await new Promise<void>((r) => waitingForCommit.push(r));
  else uncommitted++;
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    const next = waitingForCommit.shift();
    if (next) next(); else uncommitted--;
  };
}

export class VerifyError extends Error {
  constructor(message: string, public expected: string, public actual: string, public algo = '') { super(message); }
}

/** a body a mode refused (invalid document, too large): its message goes to the client as is */
export class RejectedBody extends VerifyError {
  constructor(message: string) { super(message, '', ''); }
}

export class Fill extends EventEmitter {
  /** bytes received from upstream */
  received = 0;
  /** bytes written to the temp file (readable by position) */
  fileBytes = 0;
  state: 'running' | 'complete' | 'failed' = 'running';
  result?: FillResult;
  error?: Error;
  readers = 0;
  /**
   * A reader that starts now gets the whole body. False (and 'unjoinable' emitted) once bytes it would need left
   * memory with no copy on disk (a fill that does not store, or spilled): a late reader is sent elsewhere, it is
   * never attached to a body it cannot have from its first byte.
   */
  joinable = true;
  verified = false;
  /** the kind verifies, but no digest was known for this body: served, not stored */
  unverified = false;
  /** when the body was complete and verified (ms since the epoch) */
  verifiedAt?: number;
  digests: Record<string, string> = {};
  private hashes: Record<string, Hash>;
  private expectedDigests: Expectation | null | undefined;
  /** resolves to the verify expectation (undefined when the kind does not verify) */
  get expectation(): Promise<Expectation | null> | undefined { return this.o.expected; }
  get expectedSource(): string | undefined { return this.expectedDigests?.source ?? undefined; }
  /** false: a pass-through from the start (too large, store degraded, refused by the kind) */
  get stores(): boolean { return this.o.store; }
  private writer?: FileHandle;
  private memory: { offset: number; buf: Buffer }[] = [];
  private spilled = false; // disk write failed: later bytes live in memory only
  private detachedAt = -1;
  private committedPath?: string;
  private diskBacked: boolean;
  /** no temp file: the body is small, held in memory, and the commit writes it (no file check needs it first) */
  private readonly inline: boolean;
  /** the temp file's writes, in order; never rejects (errors land in writeError) */
  private writing: Promise<void> = Promise.resolve();
  private writeError?: Error;
  private unwritten = 0;
  private queued: Buffer[] = [];
  private queuedAt = 0;
  private pumping = false;
  private opened!: Promise<void>;
  private markOpened!: () => void;
  private readerOffsets = new Map<symbol, number>();
  /** the most recent chunks, so followers near the head of the fill never touch the file */
  private recent: { offset: number; buf: Buffer }[] = [];
  private recentBytes = 0;
  readonly done: Promise<FillResult>;

  constructor(private o: FillOptions) {
    super();
    this.setMaxListeners(0);
    this.opened = new Promise((r) => { this.markOpened = r; });
    this.diskBacked = o.store;
    this.hashes = o.transient ? {} : { sha256: createHash('sha256') };
    this.inline = o.store && !o.transient && !o.check && o.contentLength !== undefined && o.contentLength <= INLINE_BODY;
    this.done = this.run();
    this.done.catch(() => undefined);
  }

  /** the body is verified and served, its commit still running (`done` not yet settled) */
  get committing(): boolean { return this.state === 'complete' && this.result === undefined; }

  /** bytes a reader may consume now (withheld tail until verification) */
  get readable(): number {
    if (this.state === 'complete') return this.received;
    if ((this.o.expected === undefined && this.o.contentLength === undefined) || this.verified) return this.received;
    const tail = Math.min(WITHHELD, this.o.contentLength ?? WITHHELD);
    return Math.max(0, this.received - tail);
  }

  attach(): void {
    this.readers++;
    this.detachedAt = -1;
  }

  /**
   * Count the request that started this fill as a reader until it has attached its own read (or
   * left): bytes that arrive before its first read must not look like a detached fill.
   */
  hold(): () => void {
    this.attach();
    let held = true;
    return () => { if (held) { held = false; this.detach(); } };
  }

  detach(): void {
    this.readers--;
    if (this.readers === 0 && this.removeWhenIdle) void this.removeTemp();
    if (this.readers === 0 && this.state === 'running') {
      this.detachedAt = this.received;
      this.checkBudget();
    }
  }

  abort(reason: FillResult = 'aborted'): void {
    if (this.state !== 'running') return;
    this.fail(reason, new Error(`fill ${reason}`));
    this.o.body.destroy();
  }

  private checkBudget(): void {
    if (this.readers > 0 || this.state !== 'running') return;
    const remaining = this.o.contentLength !== undefined ? this.o.contentLength - this.received : this.received - this.detachedAt;
    if (this.memoryMode || remaining > this.o.detachedBudget) this.abort('detached_budget');
  }

  private fail(result: FillResult, err: Error): void {
    if (this.state !== 'running') return;
    this.state = 'failed';
    this.result = result;
    this.error = err;
    this.emit('progress');
    this.emit('failed');
  }

  private hashedBytes = 0;

  private get memoryMode(): boolean {
    return this.spilled || !this.diskBacked;
  }

  private async run(): Promise<FillResult> {
    const { o } = this;
    let storing = false;
    let unverified = false;
    try {
      // the temp file opens while the first chunks arrive: writes queue behind the open
      if (o.store && !this.inline) this.writing = this.openWriter(); else this.markOpened();
      const expectedP = o.expected?.then((e) => {
        this.expectedDigests = e ?? null;
        // only while no chunk has been hashed yet
        if (this.hashedBytes === 0) for (const algo of ['sha256', 'sha512', 'sha384', 'sha1', 'md5'] as const) if (e?.[algo]) this.hashes[algo] ??= createHash(algo);
        if (e?.size !== undefined && o.contentLength !== undefined && e.size !== o.contentLength)
          throw new VerifyError(`size mismatch: expected ${e.size}, upstream sent Content-Length ${o.contentLength}`, String(e.size), String(o.contentLength));
        return e;
      });
      expectedP?.catch(() => undefined);
      // give an already-known expectation the chance to arrive before the first chunk
      if (expectedP) await Promise.race([expectedP, new Promise((r) => setImmediate(r))]);
      for await (const chunk of o.body as AsyncIterable<Buffer>) {
        if (this.state !== 'running') break;
        if (o.contentLength !== undefined && this.received + chunk.length > o.contentLength) throw new Error('upstream sent more bytes than its Content-Length');
        if (o.maxBytes !== undefined && this.received + chunk.length > o.maxBytes) throw new RejectedBody(`upstream body is larger than the ${o.maxBytes} bytes this kind accepts; nothing was cached`);
        for (const h of Object.values(this.hashes)) h.update(chunk);
        this.hashedBytes += chunk.length;
        this.accept(chunk);
        if (this.unwritten > MAX_UNWRITTEN) await this.writing;
        if (this.writeError) throw this.writeError;
        if (this.readers === 0) this.checkBudget();
        // without a disk copy, pace the upstream by the slowest reader
        while (this.memoryMode && this.memoryBytes() > (o.memoryWindow ?? 16 * 1024 * 1024) && this.state === 'running' && this.readers > 0)
          await new Promise((r) => this.once('drained', r));
      }
      if (this.state !== 'running') return this.result!;
      if (o.contentLength !== undefined && this.received !== o.contentLength) {
        this.fail('truncated', new Error(`upstream body ended after ${this.received} of ${o.contentLength} bytes`));
        return this.result!;
      }
      for (const [algo, h] of Object.entries(this.hashes)) this.digests[algo] = h.digest('hex');
      const expected = expectedP ? await expectedP : null;
      if (expected && !expected.skip) {
        await this.hashLate(expected);
        await this.checkOrReconsider(expected);
      }
      storing = o.store && !o.transient && (!expected?.skip || expected.keep === true);
      if (o.check && storing) {
        await this.settleWrites();
        if (!this.spilled) await o.check(o.tempPath, this.received);
      }
      unverified = !!expected?.skip;
    } catch (err) {
      const e = err as Error;
      this.fail(err instanceof VerifyError ? 'verify_failed' : /more bytes|terminated|aborted|reset|socket|premature|closed/i.test(e.message) ? 'truncated' : 'upstream_error', e);
      return this.result!;
    } finally {
      if (this.state !== 'running') await this.cleanUp();
    }
    if (this.state !== 'running') return this.result!; // aborted while verifying
    const slot = o.transient ? () => undefined : await uncommittedSlot();
    if (this.state !== 'running') { slot(); await this.cleanUp(); return this.result!; }
    // verified: readers get the withheld tail and end their responses now. Writing the temp file, the
    // durable commit (fsync, rename, entry) follow off their path; until they are done `done` stays
    // pending and the temp file is never visible in the store, so a crash meanwhile only loses the object.
    this.verified = true;
    this.verifiedAt = Date.now();
    this.unverified = unverified;
    this.state = 'complete';
    this.emit('progress');
    this.emit('verified');
    let result: FillResult = unverified ? 'unverified' : 'too_large';
    try {
      if (this.inline && o.failWritesAfter !== undefined && this.received > o.failWritesAfter)
        this.spill(Object.assign(new Error('ENOSPC: no space left on device (injected)'), { code: 'ENOSPC' }));
      await this.settleWrites();
      if (this.spilled && !unverified) result = 'no_space';
      storing &&= !this.spilled;
      // a large body's readers go on from the file: only small bodies stay in memory until committed
      if (this.received > SMALL_BODY) { this.recent = []; this.recentBytes = 0; }
      if (this.writer) {
        if (storing) await this.writer.sync();
        await this.writer.close();
        this.writer = undefined;
      }
      if (storing) {
        const c = await o.commit(o.tempPath, this.digests, this.received, this.inline ? this.recent.map((r) => r.buf) : undefined);
        result = c.result;
        this.committedPath = c.path;
      }
    } catch (err) {
      this.error = err as Error;
      result = 'commit_failed';
      // the inline body met the full disk only now: the same outcome as a temp file write that failed
      if (this.inline && o.isNoSpace(err)) { o.onNoSpace?.(err); result = 'no_space'; }
    } finally {
      slot();
    }
    this.result = result;
    await this.cleanUp();
    return result;
  }

  private removeWhenIdle = false;
  private removeTemp(): Promise<void> {
    this.removeWhenIdle = false;
    return unlink(this.o.tempPath).catch(() => undefined);
  }

  /** after the last reader-visible change: the temp file goes unless it became the stored blob */
  private async cleanUp(): Promise<void> {
    const { o } = this;
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    await this.writing;
    this.markOpened();
    if (this.writer) { const w = this.writer; this.writer = undefined; await w.close().catch(() => undefined); }
    // a body served but not stored is read from its temp file: it goes once no reader may still open it
    if (this.result !== 'stored' && this.result !== 'deduplicated') {
      if (this.readers === 0 || this.state === 'failed') await this.removeTemp(); else this.removeWhenIdle = true;
    }
    // a small body stays in memory for its remaining readers, who never open the file
    if (this.received > SMALL_BODY || this.state === 'failed') {
      this.recent = [];
      this.recentBytes = 0;
    }
    this.emit('progress');
    this.emit('drained');
  }
  /** every accepted byte is in the temp file (or the disk is full); a write error fails the fill */
  private async settleWrites(): Promise<void> {
    await this.writing;
    if (this.writeError) throw this.writeError;
  }

  /** digests the expectation names but the stream did not compute (it arrived late): hash the temp file */
  private async hashLate(expected: Digests): Promise<void> {
    const late = (['sha256', 'sha512', 'sha384', 'sha1', 'md5'] as const).filter((a) => expected[a] && !this.digests[a]);
    if (!late.length) return;
    await this.settleWrites();
    const hs = late.map((a) => [a, createHash(a)] as const);
    if (this.inline) {
      for (const c of this.recent) for (const [, h] of hs) h.update(c.buf);
      for (const [a, h] of hs) this.digests[a] = h.digest('hex');
      return;
    }
    if (this.memoryMode) throw new VerifyError('cannot verify a body that was not stored', late[0]!, 'unknown');
    const fh = await open(this.o.tempPath, 'r');
    try {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      for (let pos = 0; ;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (!bytesRead) break;
        for (const [, h] of hs) h.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
    } finally { await fh.close(); }
    for (const [a, h] of hs) this.digests[a] = h.digest('hex');
  }

  /** a mismatch the expectation's source takes back (asked again, it agrees with the body) is no failure */
  private async checkOrReconsider(expected: Expectation): Promise<void> {
    try {
      this.check(expected);
    } catch (err) {
      if (!(err instanceof VerifyError) || !err.algo || !expected.onMismatch) throw err;
      const agrees = await expected.onMismatch(err.algo, this.digests[err.algo]!).catch(() => false);
      if (agrees !== true) throw err;
    }
  }

  private check(expected: Digests & { source?: string }): void {
    if (expected.size !== undefined && expected.size !== this.received)
      throw new VerifyError(`size mismatch: expected ${expected.size}, got ${this.received}`, String(expected.size), String(this.received));
    for (const algo of ['sha256', 'sha512', 'sha384', 'sha1', 'md5'] as const) {
      const want = expected[algo];
      if (want && want.toLowerCase() !== this.digests[algo]) throw new VerifyError(`${algo} mismatch`, `${algo}:${want.toLowerCase()}`, `${algo}:${this.digests[algo]}`, algo);
    }
  }

  private memoryBytes(): number {
    return this.memory.reduce((n, c) => n + c.buf.length, 0);
  }

  private async openWriter(): Promise<void> {
    try {
      if (this.o.slowOpenMs) await new Promise((r) => setTimeout(r, this.o.slowOpenMs));
      this.writer = await open(this.o.tempPath, 'wx', 0o600);
    } catch (err) {
      this.diskBacked = false;
      if (this.o.isNoSpace(err)) this.spill(err); else this.writeError = err as Error;
    } finally {
      this.markOpened();
    }
  }

  /** a chunk becomes readable from memory at once; its write to the temp file is queued */
  private accept(chunk: Buffer): void {
    if (this.memoryMode) {
      this.memory.push({ offset: this.received, buf: chunk });
    } else {
      const at = this.received;
      this.recent.push({ offset: at, buf: chunk });
      this.recentBytes += chunk.length;
      // an inline body is written by its commit, from these chunks
      if (!this.inline) this.queueWrite(chunk, at);
    }
    this.received += chunk.length;
    this.notify();
  }

  private queueWrite(chunk: Buffer, at: number): void {
    this.unwritten += chunk.length;
    if (!this.queued.length) this.queuedAt = at;
    this.queued.push(chunk);
    if (!this.pumping) { this.pumping = true; this.writing = this.writing.then(() => this.pump()); }
    // chunks leave the window only once written: until then it is their only copy
    while (this.recentBytes > RECENT_WINDOW && this.recent.length > 1 && this.recent[0]!.offset + this.recent[0]!.buf.length <= this.fileBytes) this.recentBytes -= this.recent.shift()!.buf.length;
  }

  /** writes the queued chunks, all that queued up meanwhile in one call each time */
  private async pump(): Promise<void> {
    while (this.queued.length && !this.memoryMode && !this.writeError && this.writer) {
      const bufs = this.queued, at = this.queuedAt;
      this.queued = [];
      await this.writeAt(bufs, at);
    }
    this.queued = []; // after a failure: the chunks moved to memory, or the fill fails
    this.pumping = false;
  }

  private async writeAt(bufs: Buffer[], at: number): Promise<void> {
    const total = bufs.reduce((n, b) => n + b.length, 0);
    try {
      if (this.o.failWritesAfter !== undefined && at + total > this.o.failWritesAfter)
        throw Object.assign(new Error('ENOSPC: no space left on device (injected)'), { code: 'ENOSPC' });
      let done = (await this.writer!.writev(bufs, at)).bytesWritten;
      while (done < total) { // a short write: the rest, from where it stopped
        let skip = done;
        const rest = bufs.flatMap((b) => { if (skip >= b.length) { skip -= b.length; return []; } const r = b.subarray(skip); skip = 0; return [r]; });
        const n = (await this.writer!.writev(rest, at + done)).bytesWritten;
        if (n === 0) throw new Error('the temp file takes no more bytes');
        done += n;
      }
      this.fileBytes = at + total;
      this.unwritten -= total;
    } catch (err) {
      if (this.o.isNoSpace(err)) this.spill(err); else this.writeError = err as Error;
    }
  }

  /** the disk is full: bytes not yet written, and all later ones, live in memory only */
  private spill(err: unknown): void {
    this.spilled = true;
    for (const c of this.recent) if (c.offset >= this.fileBytes) this.memory.push(c);
    this.unwritten = 0;
    this.o.onNoSpace?.(err);
  }

  private lastNotified = 0;
  private notifyTimer?: NodeJS.Timeout;
  /** wake readers every NOTIFY_BYTES or NOTIFY_MS, so followers write bigger batches */
  private notify(): void {
    if (this.received - this.lastNotified >= NOTIFY_BYTES) {
      if (this.notifyTimer) { clearTimeout(this.notifyTimer); this.notifyTimer = undefined; }
      this.lastNotified = this.received;
      this.emit('progress');
    } else if (!this.notifyTimer) {
      this.notifyTimer = setTimeout(() => { this.notifyTimer = undefined; this.lastNotified = this.received; this.emit('progress'); }, NOTIFY_MS);
    }
  }

  /** status for a client that got no byte of a failed fill */
  get status(): number | undefined { return this.state === 'failed' ? 502 : undefined; }

  describe(path: string): string {
    const e = this.error;
    if (e instanceof RejectedBody) return e.message;
    if (e instanceof VerifyError && e.algo && this.expectedDigests?.describe) return this.expectedDigests.describe(e.algo, e.expected.slice(e.algo.length + 1), e.actual.slice(e.algo.length + 1));
    if (e instanceof VerifyError) return `checksum mismatch for ${path}: ${this.expectedSource ? `${this.expectedSource} says` : 'expected'} ${e.expected}, upstream sent ${e.actual}; nothing was cached`;
    return `${this.result === 'truncated' ? 'upstream body was cut short' : 'upstream transfer failed'} for ${path}; nothing was cached`;
  }

  /** a reader reports its offset; memory chunks every reader has passed are dropped */
  readerAt(id: symbol, offset: number | null): void {
    if (offset === null) this.readerOffsets.delete(id); else this.readerOffsets.set(id, offset);
    if (!this.memory.length) return;
    let lowest = Infinity;
    for (const v of this.readerOffsets.values()) lowest = Math.min(lowest, v);
    if (lowest === Infinity) lowest = this.received;
    let dropped = false;
    while (this.memory.length && this.memory[0]!.offset + this.memory[0]!.buf.length <= lowest) { this.memory.shift(); dropped = true; }
    if (dropped && this.joinable) { this.joinable = false; this.emit('unjoinable'); }
    this.emit('drained');
  }

  /** may a reader need the temp file? Bodies up to SMALL_BODY stay in memory for their readers */
  get mayOutgrowMemory(): boolean {
    return this.o.contentLength === undefined || this.o.contentLength > SMALL_BODY;
  }

  /** up to `max` bytes at `offset` as buffers held in memory (recent window, or memory mode), no copy */
  slices(offset: number, max: number): Buffer[] | null {
    return sliceOf(this.recent, offset, max) ?? sliceOf(this.memory, offset, max);
  }

  /** read bytes at `offset` from the temp file into `buf`; 0 when they are not in the file */
  async readFile(fh: FileHandle | undefined, offset: number, buf: Buffer): Promise<number> {
    if (!fh || offset >= this.fileBytes) return 0;
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, this.fileBytes - offset), offset);
    return bytesRead;
  }

  /** wait until more bytes are readable or the fill ended */
  waitProgress(): Promise<void> {
    if (this.state !== 'running') return Promise.resolve();
    return new Promise((r) => this.once('progress', r));
  }

  async openForRead(): Promise<FileHandle | undefined> {
    if (!this.o.store) return undefined;
    await this.opened;
    if (!this.diskBacked) return undefined;
    try { return await open(this.o.tempPath, 'r'); } catch { /* renamed by commit */ }
    // the temp file is being committed: its bytes are readable again under the committed path once done
    if (!this.committedPath && this.result === undefined) await this.done.catch(() => undefined);
    return this.committedPath ? open(this.committedPath, 'r').catch(() => undefined) : undefined;
  }

  get tempPath(): string {
    return this.o.tempPath;
  }
}

/** up to `max` bytes at `offset` from ordered, contiguous chunks, as subarrays */
function sliceOf(chunks: { offset: number; buf: Buffer }[], offset: number, max: number): Buffer[] | null {
  if (!chunks.length || offset < chunks[0]!.offset) return null;
  let i = chunks.length - 1;
  while (i >= 0 && chunks[i]!.offset > offset) i--;
  if (i < 0) return null;
  const out: Buffer[] = [];
  let pos = offset, left = max;
  for (; i < chunks.length && left > 0; i++) {
    const c = chunks[i]!;
    const from = pos - c.offset;
    if (from >= c.buf.length) continue;
    const part = c.buf.subarray(from, Math.min(c.buf.length, from + left));
    out.push(part);
    pos += part.length;
    left -= part.length;
  }
  return out.length ? out : null;
}

export interface ReadSink {
  /** write a chunk; resolves when the sink can take more */
  write(buf: Buffer): Promise<void>;
  /** hand several chunks over at once; resolves once they left user space, so their buffers may be reused */
  flush?(bufs: Buffer[]): Promise<void>;
  closed(): boolean;
}

/**
 * Streams bytes [start, end] (inclusive; end undefined = to the end of the body) of a fill to a sink.
 * Returns true if the whole range was delivered, false if the fill failed or the sink closed.
 * Like a stored hit (send-file.ts), a reader keeps two batches in flight: bytes still in memory go out
 * as they are, bytes only in the file are read into two reused buffers.
 */
export async function readFromFill(fill: Fill, sink: ReadSink, start = 0, end?: number): Promise<boolean> {
  const id = Symbol('reader');
  fill.attach();
  fill.readerAt(id, start);
  // the file opens beside the first bytes, and only for bodies that may not stay in memory
  let fh: Promise<FileHandle | undefined> | undefined;
  const file = () => (fh ??= fill.openForRead());
  if (fill.mayOutgrowMemory) void file();
  let budget: ReturnType<typeof takeChunkSize> | undefined; // taken at the first read from the file
  const bufs: Buffer[] = [];
  const inFlight: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  let slot = 0;
  let offset = start;
  try {
    for (;;) {
      if (sink.closed() || fill.state === 'failed') return false;
      const limit = end !== undefined ? end + 1 : fill.state === 'complete' ? fill.received : Infinity;
      if (offset >= limit) { await Promise.all(inFlight); return !sink.closed(); }
      const avail = Math.min(fill.readable, limit);
      if (offset < avail) {
        await inFlight[slot]; // that batch left user space: its buffer is free, and at most one other is queued
        if (sink.closed() || (fill.state as Fill['state']) === 'failed') return false;
        let out = fill.slices(offset, Math.min(BATCH, avail - offset));
        if (!out) {
          budget ??= takeChunkSize();
          const want = Math.min(budget.size, avail - offset);
          const buf = sink.flush ? (bufs[slot] ??= Buffer.allocUnsafeSlow(budget.size)) : Buffer.allocUnsafe(want);
          const n = await fill.readFile(await file(), offset, buf.subarray(0, want));
          if (n === 0) return false; // bytes neither in memory nor in the file: cannot serve them
          out = [buf.subarray(0, n)];
        }
        for (const b of out) offset += b.length;
        fill.readerAt(id, offset);
        if (sink.flush) {
          inFlight[slot] = sink.flush(out);
          slot ^= 1;
        } else {
          for (const b of out) await sink.write(b);
        }
        continue;
      }
      if (fill.state === 'complete') { await Promise.all(inFlight); return offset >= fill.received || (end !== undefined && offset > end); }
      await fill.waitProgress();
    }
  } finally {
    budget?.release();
    fill.readerAt(id, null);
    if (fh) await fh.then((h) => h?.close()).catch(() => undefined);
    fill.detach();
  }
}
