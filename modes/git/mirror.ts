// One bare mirror repository and its published ref snapshots.
//
// A snapshot is a git ref namespace: snapshot n's refs are `refs/namespaces/s<n>/refs/{heads,tags}/…` plus
// the `refs/namespaces/s<n>/HEAD` symref, and it is served by running upload-pack with GIT_NAMESPACE=s<n>,
// which advertises exactly those refs with the prefix taken off (git's own namespace support). A sync
// fetches into `refs/staging/*` (never advertised), checks that every new tip is fully connected, writes the
// next namespace in one ref transaction and only then replaces the pointer file (temp + rename) that names
// the current snapshot. A request takes the current n when it starts and keeps it: upload-pack processes
// already running go on with their namespace, whose refs stay until the snapshot after next is published.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redactWith as redact } from '../../engine/log.js';
import { runGit, type GitOptions } from './git-process.js';
import { parseForEachRef, parseLsRemote, planRefs, sameRefs, type RefMap, type RefPlan } from './refs.js';
import { classifyGitFailure, SyncError } from './sync-error.js';
import { upstreamAccess, type UpstreamAccess } from './upstream-access.js';
import type { RepoSpec } from './settings.js';

export interface Snapshot {
  n: number;
  /** the repository's mount-relative path (a restart finds its mirrors by it) */
  path: string;
  /** published refs (refs/heads/*, refs/tags/*) */
  refs: RefMap;
  head?: string;
  /** the upstream's refs and HEAD at the last successful sync (the next sync is unchanged when they still are) */
  upstream: { refs: RefMap; head?: string };
  synced_at: string;
  published_at: string;
}

export type SyncResult = { outcome: 'updated' | 'unchanged'; refused: RefPlan['refused'] };

const POINTER = 'cache-proxy-snapshot.json';
const STAGING = 'refs/staging/';
const MAX_PACKS = 8, MAX_LOOSE = 2000;
export const namespaceOf = (n: number) => `s${n}`;

export class Mirror {
  snapshot: Snapshot | null = null;
  private access: UpstreamAccess;
  /** the running sync's signal: its caller's, ended early by operation_timeout */
  private signal?: AbortSignal;
  private repacking: Promise<void> = Promise.resolve();
  /** `onMaintenanceFailed`: a background repack failed (logged; the mirror serves on as it was) */
  constructor(readonly dir: string, private spec: RepoSpec, private timeoutMs: number, private onMaintenanceFailed: (message: string) => void = () => undefined) {
    this.access = upstreamAccess(spec);
  }

  /** the background repack after a sync, resolved once none runs (it never rejects) */
  get maintenance(): Promise<void> { return this.repacking; }

  /** the upstream URL (userinfo is never part of it: credentials travel as configuration) */
  get upstream(): string { return this.access.url; }
  get secrets(): readonly string[] { return this.access.secrets; }

  /** the published snapshot kept on disk, if any (restart) */
  async load(): Promise<Snapshot | null> {
    this.snapshot = await readSnapshot(this.dir);
    return this.snapshot;
  }

  private git(args: string[], o: GitOptions = {}) {
    return runGit(['--git-dir', this.dir, ...args], { signal: this.signal, ...o });
  }
  private upstreamGit(args: string[]) {
    return this.git(args, { config: this.access.config });
  }
  private async must(what: string, args: string[], o: GitOptions = {}): Promise<string> {
    const r = await this.git(args, o);
    if (r.code !== 0) throw new SyncError(`${what} failed: ${redact(r.stderr.trim(), this.secrets)}`, false);
    return r.stdout;
  }

  private async init(): Promise<void> {
    if (existsSync(join(this.dir, 'HEAD'))) return;
    await mkdir(this.dir, { recursive: true });
    await this.must('git init', ['init', '--bare', '--quiet']);
    // served as-is by upload-pack: partial clones and wants of any object the mirror holds (lazy fetches,
    // and a stateless v0 exchange whose POST comes after a sync replaced the advertised tips)
    for (const [k, v] of [['uploadpack.allowFilter', 'true'], ['uploadpack.allowAnySHA1InWant', 'true'], ['core.logAllRefUpdates', 'false'], ['gc.auto', '0']]) {
      await this.must('git config', ['config', k!, v!]);
    }
  }

  /** clone (first time) or sync: fetch into staging, verify, publish the next snapshot; operation_timeout caps the whole */
  async sync(signal?: AbortSignal): Promise<SyncResult> {
    // one thing at a time changes the repository: a sync waits for the previous sync's repack
    await this.repacking;
    const limit = this.timeoutMs > 0 ? AbortSignal.timeout(this.timeoutMs) : undefined;
    this.signal = signal && limit ? AbortSignal.any([signal, limit]) : signal ?? limit;
    try {
      const r = await this.syncSteps();
      this.repacking = this.maintain().catch((e: Error) => this.onMaintenanceFailed(redact(e.message, this.secrets)));
      return r;
    } catch (e) {
      if (limit?.aborted) throw new SyncError(`operation timed out after ${this.timeoutMs} ms (operation_timeout)`, false);
      throw e;
    } finally {
      this.signal = undefined;
    }
  }

  private async syncSteps(): Promise<SyncResult> {
    await this.init();
    const ls = await this.upstreamGit(['ls-remote', '--symref', this.access.url]);
    if (ls.code !== 0) throw classifyGitFailure('ls-remote', redact(ls.stderr, this.secrets));
    const seen = parseLsRemote(ls.stdout);
    if (seen.objectFormat !== 'sha1') throw new SyncError('SHA-256 repositories are not supported', true);
    if (!Object.keys(seen.refs).length) throw new SyncError('upstream repository is empty', true);
    const cur = this.snapshot;
    if (cur && cur.upstream.head === seen.head && sameRefs(cur.upstream.refs, seen.refs)) {
      await this.writePointer({ ...cur, synced_at: new Date().toISOString() });
      return { outcome: 'unchanged', refused: [] };
    }
    const f = await this.upstreamGit(['fetch', '--prune', '--no-tags', '--no-write-fetch-head', '--quiet', this.access.url,
      `+refs/heads/*:${STAGING}heads/*`, `+refs/tags/*:${STAGING}tags/*`]);
    if (f.code !== 0) throw classifyGitFailure('fetch', redact(f.stderr, this.secrets));
    const fetched = parseForEachRef(await this.must('for-each-ref', ['for-each-ref', '--format=%(objectname) %(refname)', STAGING]), STAGING);
    const plan = await planRefs(fetched, cur?.refs ?? {}, this.spec.forceOverwrite, async (a, b) => (await this.git(['merge-base', '--is-ancestor', a, b])).code === 0);
    await this.checkConnected(plan.refs, cur?.refs ?? {});
    const head = chooseHead(seen.head, plan.refs);
    if (cur && cur.head === head && sameRefs(cur.refs, plan.refs)) {
      await this.writePointer({ ...cur, upstream: { refs: fetched, head: seen.head }, synced_at: new Date().toISOString() });
      return { outcome: 'unchanged', refused: plan.refused };
    }
    await this.publish((cur?.n ?? 0) + 1, plan.refs, head, { refs: fetched, head: seen.head });
    return { outcome: 'updated', refused: plan.refused };
  }

  /**
   * After a sync, in the background (requests go on being served meanwhile: an upload-pack already running
   * keeps reading the packs it opened, and git looks again for a pack replaced under it). The first fetch
   * leaves a pack with no bitmap index (every clone then walks the whole history), and every later fetch adds
   * a pack or loose objects; then one repack makes a single pack with a bitmap. Objects no ref reaches any
   * more are loosened, not dropped, and pruned only after an hour, so a client that was advertised an older
   * snapshot can still fetch them. operation_timeout caps it like a sync.
   */
  private async maintain(): Promise<void> {
    const signal = this.timeoutMs > 0 ? AbortSignal.timeout(this.timeoutMs) : undefined;
    const counts = Object.fromEntries((await this.must('count-objects', ['count-objects', '-v'], { signal })).split('\n').map((l) => l.split(': ')).filter((kv) => kv.length === 2).map(([k, v]) => [k, Number(v)]));
    const packFiles = await readdir(join(this.dir, 'objects', 'pack')).catch(() => [] as string[]);
    const bitmap = packFiles.some((f) => f.endsWith('.bitmap'));
    if (bitmap && (counts.packs ?? 0) <= MAX_PACKS && (counts.count ?? 0) <= MAX_LOOSE) return;
    await this.must('repack', ['repack', '-A', '-d', '-q', '--write-bitmap-index'], { signal, config: { 'pack.writeBitmapHashCache': 'true' } });
    await this.must('prune', ['prune', '--expire=1.hour.ago'], { signal });
  }

  /** every object reachable from the new tips is present (what git's own post-fetch check runs) */
  private async checkConnected(refs: RefMap, old: RefMap): Promise<void> {
    const tips = [...new Set(Object.values(refs))];
    const known = [...new Set(Object.values(old))];
    const r = await this.git(['rev-list', '--objects', '--quiet', '--stdin'], { input: [...tips, ...known.map((k) => `^${k}`)].join('\n') + '\n' });
    if (r.code !== 0) throw new SyncError(`connectivity check failed: ${r.stderr.trim().split('\n')[0] ?? ''}`, false);
  }

  private async publish(n: number, refs: RefMap, head: string | undefined, upstream: Snapshot['upstream']): Promise<void> {
    const ns = `refs/namespaces/${namespaceOf(n)}/`;
    // a namespace left by a publish that failed half-way is replaced
    await this.dropNamespaces((k) => k === n);
    await this.must('update-ref', ['update-ref', '--stdin'], { input: Object.entries(refs).map(([r, sha]) => `create ${ns}${r} ${sha}\n`).join('') });
    if (head) await this.must('symbolic-ref', ['symbolic-ref', `${ns}HEAD`, `${ns}${head}`]);
    const now = new Date().toISOString();
    await this.writePointer({ n, path: this.spec.path, refs, head, upstream, synced_at: now, published_at: now });
    // the previous snapshot stays for requests that started on it; older ones go (their objects stay: no gc)
    await this.dropNamespaces((k) => k < n - 1);
  }

  private async dropNamespaces(which: (n: number) => boolean): Promise<void> {
    const names = (await this.must('for-each-ref', ['for-each-ref', '--format=%(refname)', 'refs/namespaces/'])).split('\n').filter(Boolean);
    const drop = names.filter((r) => { const m = /^refs\/namespaces\/s(\d+)\//.exec(r); return !!m && which(Number(m[1])); });
    if (!drop.length) return;
    await this.must('update-ref', ['update-ref', '--no-deref', '--stdin'], { input: drop.map((r) => `delete ${r}\n`).join('') });
  }

  private async writePointer(s: Snapshot): Promise<void> {
    await writeSnapshot(this.dir, s);
    this.snapshot = s;
  }
}

/** the pointer naming the current snapshot, replaced atomically (temp file + rename) */
export async function writeSnapshot(dir: string, s: Snapshot): Promise<void> {
  const tmp = join(dir, `${POINTER}.tmp`);
  await writeFile(tmp, JSON.stringify(s));
  await rename(tmp, join(dir, POINTER));
}

/** the head a snapshot advertises: the upstream's when published, else main, master or the first branch */
export function chooseHead(upstreamHead: string | undefined, refs: RefMap): string | undefined {
  if (upstreamHead && refs[upstreamHead]) return upstreamHead;
  return ['refs/heads/main', 'refs/heads/master'].find((r) => refs[r]) ?? Object.keys(refs).find((r) => r.startsWith('refs/heads/'));
}

/** the snapshot pointer of a mirror directory, or null */
export async function readSnapshot(dir: string): Promise<Snapshot | null> {
  const text = await readFile(join(dir, POINTER), 'utf8').catch(() => null);
  return text ? (JSON.parse(text) as Snapshot) : null;
}
