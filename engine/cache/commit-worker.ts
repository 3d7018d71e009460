// The request side of the commit thread: one job in, one promise out. The thread starts on the first job and
// is restarted if it dies (its jobs then fail, as a failed write would); it never keeps the process alive.
import { Worker } from 'node:worker_threads';
import type { CommitJob, CommitReply } from './commit-batch.js';

type Done = { ok: true; existed?: boolean; size?: number };

export class CommitWorker {
  private worker?: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: Done) => void; reject: (e: Error) => void }>();

  run(job: CommitJob): Promise<Done> {
    const w = this.worker ?? this.start();
    const id = this.nextId++;
    const p = new Promise<Done>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    if (this.waiting.size === 1) w.ref();
    w.postMessage({ id, job });
    return p;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private start(): Worker {
    // the thread runs a file: flags about the main entry (such as --input-type) do not apply to it
    const w = new Worker(new URL('./commit-thread.js', import.meta.url), { execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')) });
    w.unref();
    w.on('message', (replies: { id: number; reply: CommitReply }[]) => {
      for (const { id, reply } of replies) {
        const p = this.waiting.get(id);
        if (!p) continue;
        this.waiting.delete(id);
        if (reply.ok) p.resolve(reply);
        else p.reject(Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {}));
      }
      if (this.waiting.size === 0) w.unref();
    });
    const fail = (err: Error) => {
      if (this.worker === w) this.worker = undefined;
      for (const [, p] of this.waiting) p.reject(err);
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the commit thread exited (${code})`)));
    this.worker = w;
    return w;
  }
}
