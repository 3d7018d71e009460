// The per-instance controllers of modes that declare `instance` (see InstanceController in mode.ts): built
// at start, set up before serving, their tasks scheduled, their status shown, stopped at shutdown.
import type { ControllerContext, ControllerTask, HookContext, InstanceBlobs, InstanceController, Logger, ModeDefinition, ModeConfig } from './mode.js';
import type { BlobHolds, BlobStore, TempArea } from './cache/store.js';

/** what the engine knows of one configured instance here */
export interface ControlledInstance { name: string; def: ModeDefinition; block: ModeConfig }

// Keyed by the instance's config block: every hook context of an instance carries that same frozen object,
// and each engine has its own, so two engines in one process never see each other's controllers.
const byConfig = new WeakMap<object, InstanceController>();

/** the controller of the instance a hook runs for */
export function controllerOf<C extends InstanceController>(ctx: HookContext): C {
  const c = byConfig.get(ctx.config);
  if (!c) throw new Error(`instance ${ctx.instance} has no controller (its mode declares no \`instance\`, or it is stopped)`);
  return c as C;
}

export interface ControllersDeps<I extends ControlledInstance = ControlledInstance> {
  blobs: BlobStore;
  temp: TempArea;
  holds: BlobHolds;
  log: Logger;
  hookContext(inst: I): HookContext;
  addTask(inst: I, task: ControllerTask): void;
}

export class Controllers<I extends ControlledInstance = ControlledInstance> {
  private live = new Map<string, { inst: I; c: InstanceController; key: object }>();
  constructor(private deps: ControllersDeps<I>) {}

  /** build every controller, schedule its tasks, then set each up (a failed setup is logged; the instance serves) */
  async start(instances: readonly I[]): Promise<void> {
    for (const inst of instances) {
      if (!inst.def.instance) continue;
      const hook = this.deps.hookContext(inst);
      const ctx: ControllerContext = Object.assign(Object.create(hook) as HookContext, { blobs: instanceBlobs(inst.name, this.deps) });
      const c = inst.def.instance(ctx);
      byConfig.set(hook.config, c);
      this.live.set(inst.name, { inst, c, key: hook.config });
      for (const t of c.tasks ?? []) this.deps.addTask(inst, t);
    }
    for (const { inst, c } of this.live.values()) {
      try { await c.setup?.(); } catch (e) { this.deps.log.error('instance setup failed', { instance: inst.name, err: (e as Error).message }); }
    }
  }

  /** the status hook of an instance's controller, if it has one */
  status(name: string): (() => Promise<Record<string, unknown>>) | undefined {
    const c = this.live.get(name)?.c;
    return c?.status ? () => c.status!() : undefined;
  }

  async stop(): Promise<void> {
    for (const { inst, c, key } of this.live.values()) {
      await c.stop?.().catch((e: Error) => this.deps.log.warn('instance stop failed', { instance: inst.name, err: e.message }));
      byConfig.delete(key);
    }
    this.live.clear();
  }
}

/** an instance's view of the engine's blobs: its commits are held, `hold` replaces what it holds */
export function instanceBlobs(owner: string, deps: Pick<ControllersDeps, 'blobs' | 'temp' | 'holds'>): InstanceBlobs {
  const { blobs, temp, holds } = deps;
  return {
    tempPath: () => temp.tempPath('.ctl'),
    commit: async (file, sha256) => { holds.add(owner, sha256); await blobs.commit(file, sha256); },
    has: async (sha256) => (await blobs.stat(sha256)) !== null,
    path: (sha256) => {
      if (!blobs.localPath) throw new Error('this store keeps no local blob files');
      return blobs.localPath(sha256);
    },
    localFile: (sha256) => blobs.localFile(sha256),
    hold: (sha256s) => holds.set(owner, sha256s),
  };
}
