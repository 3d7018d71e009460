// Background refresh of one root: a conditional GET of the change-check primary on the current upstream,
// then a build from one upstream at a time (current first), published only if the primary changed.
// A root no upstream has heard of for long enough is removed.
import { RepoError } from './format.js';
import { samePrimary, type RootState } from './generation.js';
import { assemble, publish } from './publish.js';
import { fetchPrimary, type Fetched } from './upstream-files.js';
import { hostOf, REFRESH_TASK, type RepoCore } from './core.js';

const NOT_FOUND_RUNS = 5, NOT_FOUND_SPAN = 5 * 60_000;

export function scheduleRefresh(core: RepoCore, rs: RootState, fresh: boolean): void {
  core.ctx.tasks.add({ type: REFRESH_TASK, target: rs.rid, intervalMs: core.s.refreshMs, firstRunInMs: fresh ? core.s.refreshMs : undefined, run: (signal) => refresh(core, rs, signal) });
}

export async function refresh(core: RepoCore, rs: RootState, signal: AbortSignal): Promise<'updated' | 'unchanged' | 'skipped'> {
  if (!core.roots.has(rs.ref.id)) return 'skipped';
  if (Date.now() - rs.doc.lastRequest > core.s.idleStopMs) return 'skipped';
  const started = performance.now();
  let result = 'failed';
  try {
    const out = await refreshOnce(core, rs, signal);
    result = out;
    return out;
  } catch (e) {
    rs.doc.health.lastError = (e as Error).message.slice(0, 1000);
    throw e;
  } finally {
    core.refreshes.inc({ instance: core.ctx.instance, result });
    core.refreshSeconds.observe({ instance: core.ctx.instance }, (performance.now() - started) / 1000);
    rs.doc.health.lastRefresh = new Date().toISOString();
    rs.doc.health.lastOutcome = result;
    if (result !== 'failed') { rs.doc.health.failures = 0; rs.doc.health.lastError = undefined; } else rs.doc.health.failures++;
    core.markDirty();
  }
}

async function refreshOnce(core: RepoCore, rs: RootState, signal: AbortSignal): Promise<'updated' | 'unchanged'> {
  const cur = rs.gens[0]!;
  const names = core.primaryNames(rs);
  // 1. change check: conditional GET of the first present primary on the current upstream
  const checkName = names.find((n) => { const r = cur.manifest.primary[n]; return r && !('absent' in r); }) ?? names[0]!;
  const checkRec = cur.manifest.primary[checkName];
  const cond: Record<string, string> = {};
  if (checkRec && !('absent' in checkRec)) {
    if (checkRec.etag) cond['if-none-match'] = checkRec.etag;
    if (checkRec.lastModified) cond['if-modified-since'] = checkRec.lastModified;
  }
  let checked: Fetched | undefined;
  try {
    checked = await fetchPrimary(core, rs.ref, checkName, { bases: [cur.manifest.upstream], failoverOn404: false, headers: cond, signal });
    if (checked.status === 304) return 'unchanged';
    if (checked.rec && checkRec && !('absent' in checkRec) && checked.rec.sha256 === checkRec.sha256 && rs.doc.health.torn === 0) return 'unchanged';
  } catch { checked = undefined; /* the current upstream is unreachable: build from the others */ }
  // 2. build from one upstream at a time, from scratch each time
  const now = Date.now();
  const wanted = Object.entries(rs.doc.wanted).filter(([, at]) => now - at <= core.s.indexKeepUnusedMs).map(([n]) => n);
  for (const [n, at] of Object.entries(rs.doc.wanted)) if (now - at > core.s.indexKeepUnusedMs) delete rs.doc.wanted[n];
  const order = [cur.manifest.upstream, ...core.s.upstreams.filter((u) => u !== cur.manifest.upstream)];
  const errors: string[] = [];
  let notFound = 0, torn = false;
  for (const base of order) {
    if (signal.aborted) break;
    try {
      const files = new Map<string, Fetched>();
      for (const name of names) {
        if (checked && base === cur.manifest.upstream && name === checkName && checked.status === 200) { files.set(name, checked); continue; }
        files.set(name, await fetchPrimary(core, rs.ref, name, { bases: [base], failoverOn404: false, signal }));
      }
      if ([...files.values()].every((f) => f.status !== 200)) { notFound++; throw new RepoError('E_NOT_FOUND', 'no primary file'); }
      const cand = await assemble(core, rs, base, files, wanted, signal);
      if (samePrimary(cand.primary, cur.manifest.primary)) { rs.doc.health.torn = 0; rs.doc.health.notFound = 0; return 'unchanged'; }
      await publish(core, rs, cand);
      rs.doc.health.torn = 0; rs.doc.health.notFound = 0; rs.doc.health.notFoundSince = undefined;
      return 'updated';
    } catch (e) {
      if (e instanceof RepoError && e.code === 'E_TORN') torn = true;
      errors.push(`${hostOf(base)}: ${(e as Error).message}`);
    }
  }
  if (torn) rs.doc.health.torn++;
  if (notFound === order.length) {
    rs.doc.health.notFound++;
    rs.doc.health.notFoundSince ??= now;
    if (rs.doc.health.notFound >= NOT_FOUND_RUNS && now - rs.doc.health.notFoundSince >= NOT_FOUND_SPAN) removeRoot(core, rs);
  }
  throw new Error(`every upstream failed; generation ${cur.n} keeps serving (${errors.join('; ')})`);
}

function removeRoot(core: RepoCore, rs: RootState): void {
  core.roots.delete(rs.ref.id);
  core.indexEpoch++;
  core.ctx.tasks.remove(REFRESH_TASK, rs.rid);
  void core.store.dropRoot(rs.rid);
  core.holdBlobs();
  core.markDirty();
  core.ctx.events.emit({ result: 'removed', task_type: REFRESH_TASK, target: rs.rid, message: `root ${rs.ref.id} removed: not found on any upstream for ${NOT_FOUND_RUNS} refreshes` });
}
