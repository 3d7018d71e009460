// Background scheduler: concurrent task runs, persisted timers, jitter, deadlines.
import { settleWithin } from './wait.js';
import type { StateStore } from './cache/store.js';
import { m } from './metrics.js';

export type TaskOutcome = 'success' | 'updated' | 'unchanged' | 'skipped' | 'delayed' | 'failed' | 'timeout' | 'crashed';

export interface Task {
  id: string; // <instance>:<type>[:<target>]
  instance: string;
  type: string;
  intervalMs: number;
  /** first run time for a task without saved state (default: within the first 10 % of its interval) */
  firstRunAt?: number;
  run(signal: AbortSignal): Promise<TaskOutcome | void>;
}

interface TaskState { next_run: number; last_run?: number; last_outcome?: TaskOutcome; failures: number; last_error?: string; runs: number }

export interface TaskEvent { instance: string; task_type: string; target?: string; started_at: string; finished_at: string; duration_ms: number; result: TaskOutcome; message?: string }

const MIN = 60_000;

export class Scheduler {
  private tasks = new Map<string, Task>();
  private state = new Map<string, TaskState>();
  private running = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private dirty = false;
  private lastWrite = 0;
  private stopped = false;
  private controllers = new Set<AbortController>();

  constructor(private o: { store: StateStore; maxConcurrent: number; onEvent: (e: TaskEvent) => void; random?: () => number; now?: () => number }) {}

  private now(): number { return this.o.now?.() ?? Date.now(); }
  private rand(): number { return this.o.random?.() ?? Math.random(); }

  async load(): Promise<void> {
    const doc = (await this.o.store.read('scheduler').catch(() => null)) as { tasks?: Record<string, TaskState> } | null;
    for (const [id, s] of Object.entries(doc?.tasks ?? {})) this.state.set(id, s);
  }

  private jitter(interval: number): number {
    const span = Math.min(interval * 0.1, 5 * MIN);
    return (this.rand() * 2 - 1) * span;
  }

  add(task: Task): void {
    this.tasks.set(task.id, task);
    if (!this.state.has(task.id)) {
      this.state.set(task.id, { next_run: task.firstRunAt ?? this.now() + this.rand() * task.intervalMs * 0.1, failures: 0, runs: 0 });
      this.dirty = true;
    } else {
      const s = this.state.get(task.id)!;
      // overdue tasks run soon, within their jitter window; never later than one interval from now
      if (s.next_run > this.now() + task.intervalMs) s.next_run = this.now() + task.intervalMs;
      if (s.next_run < this.now()) s.next_run = this.now() + this.rand() * Math.min(task.intervalMs * 0.1, 5 * MIN, 10_000);
    }
  }

  /** forget: also drop the saved timing (a task whose target is gone for good) */
  remove(id: string, o: { forget?: boolean } = {}): void {
    this.tasks.delete(id);
    if (o.forget && this.state.delete(id)) this.dirty = true;
  }

  /** run a task as soon as a slot is free (discovery) */
  trigger(id: string): void {
    const s = this.state.get(id);
    if (s) s.next_run = this.now();
    this.tick();
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), 250);
    this.timer.unref();
    this.tick();
  }

  nextRun(id: string): number | undefined { return this.state.get(id)?.next_run; }
  snapshot(): Record<string, TaskState> { return Object.fromEntries(this.state); }

  private tick(): void {
    if (this.stopped) return;
    const now = this.now();
    const due = [...this.tasks.values()].filter((t) => !this.running.has(t.id) && (this.state.get(t.id)?.next_run ?? 0) <= now)
      .sort((a, b) => this.state.get(a.id)!.next_run - this.state.get(b.id)!.next_run);
    for (const t of due) {
      if (this.running.size >= this.o.maxConcurrent) break;
      const perInstance = [...this.running.keys()].filter((id) => this.tasks.get(id)?.instance === t.instance).length;
      if (perInstance >= 2) continue;
      m.taskOverdue.set({ instance: t.instance, task_type: t.type }, Math.max(0, (now - this.state.get(t.id)!.next_run) / 1000));
      this.running.set(t.id, this.runOne(t));
    }
    if (this.dirty && now - this.lastWrite >= 1000) void this.persist();
  }

  private async runOne(t: Task): Promise<void> {
    const s = this.state.get(t.id)!;
    const started = this.now();
    const ac = new AbortController();
    this.controllers.add(ac);
    const deadline = Math.min(30 * MIN, Math.max(MIN, t.intervalMs / 2));
    const timer = setTimeout(() => ac.abort(new Error('deadline')), deadline);
    m.tasksRunning.inc({ task_type: t.type });
    let outcome: TaskOutcome = 'success';
    let error: string | undefined;
    try {
      const r = await t.run(ac.signal);
      outcome = r ?? 'success';
      if (ac.signal.aborted) outcome = 'timeout';
    } catch (e) {
      outcome = ac.signal.aborted ? 'timeout' : 'failed';
      error = String((e as Error)?.message ?? e).slice(0, 4096);
    } finally {
      clearTimeout(timer);
      this.controllers.delete(ac);
      m.tasksRunning.dec({ task_type: t.type });
    }
    const finished = this.now();
    s.last_run = started;
    s.last_outcome = outcome;
    s.runs++;
    s.last_error = error;
    if (outcome === 'failed' || outcome === 'timeout' || outcome === 'crashed') {
      s.failures++;
      s.next_run = finished + Math.min(t.intervalMs / 2, Math.max(MIN, (s.failures * t.intervalMs) / 8));
    } else {
      s.failures = 0;
      s.next_run = finished + t.intervalMs + this.jitter(t.intervalMs);
    }
    this.dirty = true;
    m.taskRuns.inc({ instance: t.instance, task_type: t.type, result: outcome });
    m.taskDuration.observe({ instance: t.instance, task_type: t.type }, (finished - started) / 1000);
    const [, , target] = t.id.split(':');
    this.o.onEvent({ instance: t.instance, task_type: t.type, target, started_at: new Date(started).toISOString(), finished_at: new Date(finished).toISOString(), duration_ms: finished - started, result: outcome, message: error });
    this.running.delete(t.id);
    setImmediate(() => this.tick());
  }

  async persist(): Promise<void> {
    this.dirty = false;
    this.lastWrite = this.now();
    await this.o.store.write('scheduler', { tasks: Object.fromEntries(this.state) }).catch(() => { this.dirty = true; });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const ac of this.controllers) ac.abort(new Error('shutdown'));
    await settleWithin(Promise.allSettled([...this.running.values()]), 2000);
    await this.persist();
  }
}
