// Per-instance pins (`ctx.pins`): small string facts a mode's `index` hook took from a
// document (digests, the fill target), grouped so one document's pins are one atomic state document.
import { createHash } from 'node:crypto';
import type { Pin, PinStore } from '../mode.js';
import type { StateStore } from './store.js';

const MEMORY_GROUPS = 4096;

export class StatePins implements PinStore {
  private memory = new Map<string, Record<string, Pin>>();
  private writes = new Map<string, Promise<void>>();

  constructor(private state: StateStore, private inst: string) {}

  private docName(group: string): string {
    return `${this.inst}/pins-${createHash('sha256').update(group).digest('hex').slice(0, 40)}`;
  }

  private remember(group: string, pins: Record<string, Pin>): void {
    this.memory.delete(group);
    this.memory.set(group, pins);
    if (this.memory.size > MEMORY_GROUPS) this.memory.delete(this.memory.keys().next().value!);
  }

  async get(group: string): Promise<Readonly<Record<string, Pin>> | null> {
    await this.writes.get(group);
    const hit = this.memory.get(group);
    if (hit) return hit;
    const doc = (await this.state.read(this.docName(group))) as { group?: string; pins?: Record<string, Pin> } | null;
    if (!doc || doc.group !== group || !doc.pins) return null;
    this.remember(group, doc.pins);
    return doc.pins;
  }

  /** later values win; writes of one group are serialised */
  merge(group: string, pins: Record<string, Pin>): Promise<void> {
    const prev = this.writes.get(group) ?? Promise.resolve();
    const next = prev.then(async () => {
      const current = this.memory.get(group) ?? (((await this.state.read(this.docName(group))) as { group?: string; pins?: Record<string, Pin> } | null)?.pins) ?? {};
      const merged = { ...current, ...pins };
      this.remember(group, merged);
      await this.state.write(this.docName(group), { group, pins: merged });
    });
    const settled = next.catch(() => undefined);
    this.writes.set(group, settled);
    void settled.then(() => { if (this.writes.get(group) === settled) this.writes.delete(group); });
    return next;
  }
}
