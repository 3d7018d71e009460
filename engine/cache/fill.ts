// Streaming single-flight fill (engine spec §3.5): one upstream body is written to tmp/ and
// hashed as it arrives; any number of readers follow at their own pace from the growing file.
// The fill belongs to no client; a withheld tail protects verified kinds; commit is atomic.
import { createHash, type Hash } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { Digests } from '../mode.js';

export type FillResult = 'stored' | 'deduplicated' | 'verify_failed' | 'unverified' | 'truncated' | 'upstream_error' | 'detached_budget' | 'no_space' | 'too_large' | 'aborted';

/** what a verifying kind expects of a body */
export type Expectation = Digests & { source?: string; skip?: boolean; describe?: (algo: string, expected: string, actual: string) => string };

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
  /** checks the complete temp file before commit; throws VerifyError to fail the fill */
  check?: (tempPath: string, size: number) => Promise<void>;
  /** commits the verified temp file; returns the outcome */
  commit: (tempPath: string, digests: Record<string, string>, size: number) => Promise<{ result: 'stored' | 'deduplicated'; path: string }>;
  isNoSpace: (err: unknown) => boolean;
  onNoSpace?: (err: unknown) => void;
  memoryWindow?: number;
  /** fault injection for tests: writes beyond this many bytes fail with ENOSPC */
  failWritesAfter?: number;
  /** fault injection for tests: opening the temp file takes this long (a slow or busy disk) */
  slowOpenMs?: number;
}

const WITHHELD = 64 * 1024;
const READ_CHUNK = 256 * 1024;
const RECENT_WINDOW = 8 * 1024 * 1024;
const NOTIFY_BYTES = 256 * 1024;
const NOTIFY_MS = 4;
const BATCH = 1024 * 1024;

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
  /** bytes durable in the temp file (readable by position) */
  fileBytes = 0;
  state: 'running' | 'complete' | 'failed' = 'running';
  result?: FillResult;
  error?: Error;
  readers = 0;
  verified = false;
  digests: Record<string, string> = {};
  private hashes: Record<string, Hash> = { sha256: createHash('sha256') };
  private expectedDigests: Expectation | null | undefined;
  /** resolves to the verify expectation (undefined when the kind does not verify) */
  get expectation(): Promise<Expectation | null> | undefined { return this.o.expected; }
  get expectedSource(): string | undefined { return this.expectedDigests?.source ?? undefined; }
  private writer?: FileHandle;
  private memory: { offset: number; buf: Buffer }[] = [];
  private spilled = false; // disk write failed: later bytes live in memory only
  private detachedAt = -1;
  private committedPath?: string;
  private diskBacked = false;
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
    this.done = this.run();
    this.done.catch(() => undefined);
  }

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
  }

  private hashedBytes = 0;

  private get memoryMode(): boolean {
    return this.spilled || !this.diskBacked;
  }

  private async run(): Promise<FillResult> {
    const { o } = this;
    try {
      if (o.slowOpenMs) await new Promise((r) => setTimeout(r, o.slowOpenMs));
      if (o.store) {
        try { this.writer = await open(o.tempPath, 'wx', 0o600); this.diskBacked = true; } catch (err) { this.onWriteError(err); }
      }
      this.markOpened();
      const expectedP = o.expected?.then((e) => {
        this.expectedDigests = e ?? null;
        // only while no chunk has been hashed yet (received grows after the async write, so it cannot tell)
        if (this.hashedBytes === 0) for (const algo of ['sha512', 'sha384', 'sha1', 'md5'] as const) if (e?.[algo]) this.hashes[algo] = createHash(algo);
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
        await this.write(chunk);
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
      if (this.writer) {
        await this.writer.sync();
        await this.writer.close();
        this.writer = undefined;
      }
      if (expected && !expected.skip) {
        await this.hashLate(expected);
        this.check(expected);
      }
      const storing = o.store && !this.spilled && !expected?.skip;
      if (o.check && storing) await o.check(o.tempPath, this.received);
      let result: FillResult = expected?.skip ? 'unverified' : this.spilled ? 'no_space' : 'too_large';
      if (storing) {
        const c = await o.commit(o.tempPath, this.digests, this.received);
        result = c.result;
        this.committedPath = c.path;
      }
      // the tail is released only now: a client holding the whole body means the object is committed
      this.verified = true;
      this.state = 'complete';
      this.result = result;
      return result;
    } catch (err) {
      const e = err as Error;
      this.fail(err instanceof VerifyError ? 'verify_failed' : /more bytes|terminated|aborted|reset|socket|premature|closed/i.test(e.message) ? 'truncated' : 'upstream_error', e);
      return this.result!;
    } finally {
      if (this.notifyTimer) clearTimeout(this.notifyTimer);
      this.recent = [];
      this.recentBytes = 0;
      this.markOpened();
      if (this.writer) await this.writer.close().catch(() => undefined);
      if (this.result !== 'stored' && this.result !== 'deduplicated') await unlink(o.tempPath).catch(() => undefined);
      this.emit('progress');
      this.emit('drained');
    }
  }

  /** digests the expectation names but the stream did not compute (it arrived late): hash the temp file */
  private async hashLate(expected: Digests): Promise<void> {
    const late = (['sha512', 'sha384', 'sha1', 'md5'] as const).filter((a) => expected[a] && !this.digests[a]);
    if (!late.length) return;
    if (this.memoryMode) throw new VerifyError('cannot verify a body that was not stored', late[0]!, 'unknown');
    const hs = late.map((a) => [a, createHash(a)] as const);
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

  private async write(chunk: Buffer): Promise<void> {
    if (!this.memoryMode) {
      try {
        if (this.o.failWritesAfter !== undefined && this.fileBytes + chunk.length > this.o.failWritesAfter)
          throw Object.assign(new Error('ENOSPC: no space left on device (injected)'), { code: 'ENOSPC' });
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await this.writer!.write(chunk, off, chunk.length - off, this.fileBytes + off);
          off += bytesWritten;
        }
        this.fileBytes += chunk.length;
      } catch (err) {
        this.onWriteError(err);
        this.memory.push({ offset: this.received, buf: chunk });
      }
    } else {
      this.memory.push({ offset: this.received, buf: chunk });
    }
    if (!this.memoryMode) {
      this.recent.push({ offset: this.received, buf: chunk });
      this.recentBytes += chunk.length;
      while (this.recentBytes > RECENT_WINDOW && this.recent.length > 1) this.recentBytes -= this.recent.shift()!.buf.length;
    }
    this.received += chunk.length;
    this.notify();
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

  private onWriteError(err: unknown): void {
    if (!this.o.isNoSpace(err)) throw err;
    this.spilled = true;
    this.o.onNoSpace?.(err);
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
    while (this.memory.length && this.memory[0]!.offset + this.memory[0]!.buf.length <= lowest) this.memory.shift();
    this.emit('drained');
  }

  /** up to `max` bytes at `offset` as several buffers when they are in the recent window (no copy) */
  recentSlices(offset: number, max: number): Buffer[] | null {
    const r = this.recent;
    if (!r.length || offset < r[0]!.offset) return null;
    let i = r.length - 1;
    while (i >= 0 && r[i]!.offset > offset) i--;
    if (i < 0) return null;
    const out: Buffer[] = [];
    let pos = offset, left = max;
    for (; i < r.length && left > 0; i++) {
      const c = r[i]!;
      const from = pos - c.offset;
      if (from >= c.buf.length) continue;
      const part = c.buf.subarray(from, Math.min(c.buf.length, from + left));
      out.push(part);
      pos += part.length;
      left -= part.length;
    }
    return out.length ? out : null;
  }

  /** read up to `max` bytes at `offset` (below `readable`) */
  async readAt(fh: FileHandle | undefined, offset: number, max: number): Promise<Buffer> {
    const r = this.recent;
    if (r.length && offset >= r[0]!.offset) {
      for (let i = r.length - 1; i >= 0; i--) {
        const c = r[i]!;
        if (offset >= c.offset && offset < c.offset + c.buf.length) return c.buf.subarray(offset - c.offset, Math.min(c.buf.length, offset - c.offset + max));
      }
    }
    if (offset < this.fileBytes && fh) {
      const len = Math.min(max, this.fileBytes - offset);
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await fh.read(buf, 0, len, offset);
      return buf.subarray(0, bytesRead);
    }
    for (const c of this.memory) {
      if (offset >= c.offset && offset < c.offset + c.buf.length) return c.buf.subarray(offset - c.offset, Math.min(c.buf.length, offset - c.offset + max));
    }
    return Buffer.alloc(0);
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
    if (!this.committedPath && this.state === 'running') await this.done.catch(() => undefined);
    return this.committedPath ? open(this.committedPath, 'r').catch(() => undefined) : undefined;
  }

  get tempPath(): string {
    return this.o.tempPath;
  }
}

export interface ReadSink {
  /** write a chunk; resolves when the sink can take more */
  write(buf: Buffer): Promise<void>;
  /** write several chunks at once (one syscall where possible) */
  writev?(bufs: Buffer[]): Promise<void>;
  closed(): boolean;
}

/**
 * Streams bytes [start, end] (inclusive; end undefined = to the end of the body) of a fill to a sink.
 * Returns true if the whole range was delivered, false if the fill failed or the sink closed.
 */
export async function readFromFill(fill: Fill, sink: ReadSink, start = 0, end?: number): Promise<boolean> {
  const id = Symbol('reader');
  fill.attach();
  fill.readerAt(id, start);
  const fh = await fill.openForRead();
  let offset = start;
  try {
    for (;;) {
      if (sink.closed() || fill.state === 'failed') return false;
      const limit = end !== undefined ? end + 1 : fill.state === 'complete' ? fill.received : Infinity;
      if (offset >= limit) return true;
      const avail = Math.min(fill.readable, limit);
      if (offset < avail) {
        const slices = sink.writev ? fill.recentSlices(offset, Math.min(BATCH, avail - offset)) : null;
        if (slices) {
          for (const b of slices) offset += b.length;
          fill.readerAt(id, offset);
          await sink.writev!(slices);
          continue;
        }
        const buf = await fill.readAt(fh, offset, Math.min(READ_CHUNK, avail - offset));
        if (buf.length === 0) return false; // bytes neither on disk nor in memory: cannot serve them
        offset += buf.length;
        fill.readerAt(id, offset);
        await sink.write(buf);
        continue;
      }
      if (fill.state === 'complete') return offset >= fill.received || (end !== undefined && offset > end);
      await fill.waitProgress();
    }
  } finally {
    fill.readerAt(id, null);
    await fh?.close().catch(() => undefined);
    fill.detach();
  }
}
