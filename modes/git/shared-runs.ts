// Identical requests in flight share one run: the first starts it, its output goes through an engine fill
// (a temp file beside a memory window, never stored), and every request with the same key reads that output
// from its first byte, at its own pace. A run that fails (its output destroyed) fails every request reading
// it. A finished run is joined only while some request still reads it (its temp file is still there); once
// the last one is done it is forgotten and the next identical request starts anew: nothing outlives its
// readers.
import { PassThrough, type Readable } from 'node:stream';
import { Fill, readFromFill, type ReadSink } from '../../engine/cache/fill.js';

/** a started run: its output (ends only on success), and whether it produced any byte before it ended */
export interface Started { output: Readable; first: Promise<{ data: true } | { data: false; error?: string }> }

export type Joined = { data: true; body: Readable } | { data: false; error?: string };

export interface SharedRunsOptions {
  tempPath: () => string;
  /** test only: a new run starts once this many requests wait for it (or after holdMaxMs) */
  holdUntil?: number;
  holdMaxMs?: number;
}

interface Live { fill?: Fill; ready: Promise<{ fill: Fill; first: Started['first'] }>; requests: number; arrived: () => void }

export class SharedRuns {
  private live = new Map<string, Live>();
  constructor(private o: SharedRunsOptions) {}

  /** runs in flight (for tests and status) */
  get size(): number { return this.live.size; }

  /** the run of this key joined, or `start` called for a new one; its output from the first byte, or why there is none */
  async open(key: string, start: () => Started, counted: { run(): void; join(): void } = { run() {}, join() {} }): Promise<Joined> {
    let l = this.live.get(key);
    if (l?.fill && idle(l.fill)) { this.live.delete(key); l = undefined; }
    if (l) counted.join(); else l = this.begin(key, start, counted.run);
    // counted as a reader from now on (at once when the run exists: its last reader may leave meanwhile and
    // take the temp file along); a run nobody reads any more is stopped
    let release = l.fill?.hold();
    l.requests++;
    l.arrived();
    const { fill, first } = await l.ready;
    release ??= fill.hold();
    const f = await first;
    if (!f.data) { release(); return f; }
    const body = follow(fill, () => this.forgetIfIdle(key, fill));
    release();
    return { data: true, body };
  }

  private begin(key: string, start: () => Started, run: () => void): Live {
    let arrived = () => {};
    const gate = this.o.holdUntil ? new Promise<void>((r) => {
      const timer = setTimeout(r, this.o.holdMaxMs ?? 60_000);
      arrived = () => { if (l.requests >= this.o.holdUntil!) { clearTimeout(timer); r(); } };
    }) : undefined;
    const launch = () => {
      run();
      const s = start();
      // the temp file is a spool read by the requests only (transient: never hashed, synced or stored);
      // expected `skip`: its last 64 KiB reach them once the output ended, i.e. once the run succeeded
      const fill = new Fill({
        body: s.output, tempPath: this.o.tempPath(), store: true, transient: true, expected: Promise.resolve({ skip: true }), detachedBudget: 0,
        commit: () => Promise.reject(new Error('a shared run is never stored')),
        isNoSpace: (e) => (e as NodeJS.ErrnoException)?.code === 'ENOSPC',
      });
      l.fill = fill;
      fill.once('failed', () => this.forgetIfIdle(key, fill));
      void fill.done.finally(() => this.forgetIfIdle(key, fill));
      return { fill, first: s.first };
    };
    const l: Live = { ready: Promise.resolve().then(() => (gate ? gate.then(launch) : launch())), requests: 0, arrived: () => arrived() };
    this.live.set(key, l);
    return l;
  }

  private forgetIfIdle(key: string, fill: Fill): void {
    if (this.live.get(key)?.fill === fill && idle(fill)) this.live.delete(key);
  }
}

/** failed, or finished with no reader left (its temp file may be gone): not to be joined */
const idle = (f: Fill) => f.state === 'failed' || (f.state === 'complete' && f.readers === 0);

/** the fill's bytes from offset 0 as a stream; destroyed when the run fails */
function follow(fill: Fill, ended: () => void): Readable {
  const out = new PassThrough();
  const sink: ReadSink = {
    write: (b) => (out.write(b) ? Promise.resolve() : new Promise<void>((r) => {
      const go = () => { out.off('drain', go); out.off('close', go); r(); };
      out.on('drain', go);
      out.on('close', go);
    })),
    closed: () => out.destroyed,
  };
  void readFromFill(fill, sink).then((whole) => {
    if (whole) out.end();
    else out.destroy(fill.error ?? new Error('the shared run failed'));
  }, (e: Error) => out.destroy(e)).finally(ended);
  return out;
}
