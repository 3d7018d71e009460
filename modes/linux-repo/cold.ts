// The first build of a root, started by a client request: every request for the root joins it, each waits at
// most cold_wait (then passes through). The first primary file found decides the one upstream of generation 1.
// Paths that named no repository are not probed again for a minute.
import { RepoError, type RootRef } from './format.js';
import type { Generation } from './generation.js';
import { assemble, publish } from './publish.js';
import { scheduleRefresh } from './refresh.js';
import { fetchPrimary, type Fetched } from './upstream-files.js';
import { hostOf, sleep, type RepoCore } from './core.js';

const NO_ROOT_TTL = 60_000;

export class ColdStarts {
  /** root id → until when it is known not to exist (bounded: clients choose these names) */
  private noRoot = new Map<string, number>();
  constructor(private core: RepoCore) {}

  /** the first build of a root; `wait` bounds a request's wait by cold_wait */
  start(ref: RootRef, wait: boolean): Promise<Generation | 'absent' | 'timeout'> {
    const { colds, ctx, s } = this.core;
    let build = colds.get(ref.id);
    if (!build) {
      build = this.build(ref).finally(() => colds.delete(ref.id));
      colds.set(ref.id, build);
      build.catch((e: Error) => ctx.log.warn('first build of a repository root failed', { instance: ctx.instance, root: ref.id, err: e.message }));
    }
    const safe = build.catch(() => 'absent' as const);
    return wait ? Promise.race([safe, sleep(s.coldWaitMs)]) : safe;
  }

  private async build(ref: RootRef): Promise<Generation | 'absent'> {
    const core = this.core;
    const until = this.noRoot.get(ref.id);
    if (until && until > Date.now()) return 'absent';
    const names = core.format.primaryNames(ref);
    const files = new Map<string, Fetched>();
    let base: string | undefined;
    for (const name of names) {
      const f = await fetchPrimary(core, ref, name, { failoverOn404: true });
      files.set(name, f);
      if (f.status === 200) { base = f.base; break; }
    }
    if (!base) { this.remember(ref.id); return 'absent'; }
    for (const name of names) if (!files.has(name)) files.set(name, await fetchPrimary(core, ref, name, { bases: [base], failoverOn404: false }));
    const rs = core.roots.get(ref.id) ?? core.newRoot(ref);
    try {
      const g = await publish(core, rs, await assemble(core, rs, base, files, []));
      scheduleRefresh(core, rs, true);
      core.ctx.events.emit({ result: 'updated', task_type: 'repo_discover', target: rs.rid, message: `new root ${ref.id}: generation ${g.n} from ${hostOf(base)}` });
      return g;
    } catch (e) {
      if (!rs.gens.length) core.roots.delete(ref.id);
      if (e instanceof RepoError && (e.code === 'E_INVALID' || e.code === 'E_NOT_FOUND')) { this.remember(ref.id); return 'absent'; }
      throw e;
    }
  }

  private remember(id: string): void {
    if (this.noRoot.size >= 10_000) this.noRoot.delete(this.noRoot.keys().next().value!);
    this.noRoot.set(id, Date.now() + NO_ROOT_TTL);
  }
}
