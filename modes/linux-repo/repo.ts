// The Linux repository engine of one instance (linux-repos spec §3–§6): roots discovered from requests,
// metadata generations (a consistent set from ONE upstream, verified against the primary's pins, published
// atomically), on-demand additions, background refresh with failover, artifact digests for verification,
// cleanup and per-root status. Format knowledge comes only through the RepoFormat it is given.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { HookContext, Match, RespondOutput, VerifyResult, UpstreamReply } from '../../engine/mode.js';
import { RepoError, type RepoFormat, type RootRef, type ParsedPrimary, type Pins, type Classified } from './format.js';
import { RepoStore, ridOf, type FileRec, type Manifest, type PrimaryRec, type RootDoc } from './store.js';
import { PackageIndex, writePackageIndex, type PackageEntry } from './package-index.js';
import type { RepoSettings } from './settings.js';

export interface Generation {
  n: number;
  manifest: Manifest;
  parsed: ParsedPrimary;
  index?: PackageIndex;
  /** `<alg>:<hex>` → listed name (by-hash lookups) */
  byDigest: Map<string, string>;
}

interface RootState {
  ref: RootRef;
  rid: string;
  doc: RootDoc;
  /** retained generations, newest (current) first */
  gens: Generation[];
  /** highest generation number ever written (numbers are never reused) */
  maxN: number;
  /** manifest rewrites of this root, one at a time */
  lock: Promise<unknown>;
  additions: Map<string, Promise<FileRec>>;
  refreshing?: Promise<unknown>;
}

type Fetched = { status: number; bytes: Buffer | null; rec?: FileRec; base: string };

const REFRESH = 'metadata_refresh';
const NOT_FOUND_RUNS = 5, NOT_FOUND_SPAN = 5 * 60_000, NO_ROOT_TTL = 60_000, STALE_TEMP = 3600_000, META_GRACE = 3600_000;
const sleep = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());
const join = (...p: string[]) => p.filter(Boolean).join('/');
const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');
const hostOf = (u: string) => { try { return new URL(u).host; } catch { return u; } };
const failure = (e: unknown) => ({ status: typeof (e as { status?: unknown }).status === 'number' ? (e as { status: number }).status : 502, message: (e as Error).message ?? String(e) });

export class RepoInstance {
  private roots = new Map<string, RootState>();
  private colds = new Map<string, Promise<Generation | 'absent'>>();
  private noRoot = new Map<string, number>();
  private store: RepoStore;
  private saveTimer?: NodeJS.Timeout;
  private refreshes;
  private refreshSeconds;
  /** bumped whenever a package index changes; memoised artifact lookups of an older epoch are void */
  private indexEpoch = 0;
  private lookups = new Map<string, { epoch: number; entry: PackageEntry | undefined }>();

  constructor(private format: RepoFormat, private ctx: HookContext, private s: RepoSettings) {
    this.store = new RepoStore(ctx.privateDir!, ctx.state!);
    this.refreshes = ctx.metrics!.counter('cache_proxy_metadata_refresh_total', 'Repository metadata refreshes by result', ['instance', 'result']);
    this.refreshSeconds = ctx.metrics!.histogram('cache_proxy_metadata_refresh_duration_seconds', 'Repository metadata refresh duration', ['instance']);
  }

  // ------------------------------------------------------------------ start, stop, persistence
  /** restart (§8): load roots, their current generations and package indexes; no upstream contact */
  async setup(): Promise<void> {
    await this.store.open();
    for (const doc of await this.store.readRoots()) {
      const ref: RootRef = { id: doc.id, layout: doc.layout, path: doc.path };
      const rs = this.newRoot(ref, doc);
      const ns = await this.store.generations(rs.rid);
      rs.maxN = ns[0] ?? 0;
      const current = await this.store.readCurrent(rs.rid);
      // the current pointer first; a broken one falls back to the newest intact manifest
      const order = [...(current !== null ? [current] : []), ...ns.filter((n) => current === null || n < current)];
      for (const n of order) {
        if (rs.gens.length >= this.s.generationKeep) break;
        const g = await this.loadGeneration(rs, n).catch((e: Error) => { this.ctx.log.warn('generation unreadable; skipped', { instance: this.ctx.instance, root: ref.id, generation: n, err: e.message }); return null; });
        if (g) rs.gens.push(g);
      }
      if (!rs.gens.length) { this.roots.delete(ref.id); continue; }
      this.registerTask(rs, false);
    }
    if (this.roots.size) this.ctx.log.info('repository roots restored', { instance: this.ctx.instance, roots: this.roots.size });
  }

  async stop(): Promise<void> {
    if (this.saveTimer) { clearTimeout(this.saveTimer); this.saveTimer = undefined; await this.saveRoots(); }
  }

  private newRoot(ref: RootRef, doc?: RootDoc): RootState {
    const rs: RootState = {
      ref, rid: ridOf(ref.id), gens: [], maxN: 0, lock: Promise.resolve(), additions: new Map(),
      doc: doc ?? { id: ref.id, layout: ref.layout, path: ref.path, wanted: {}, lastRequest: Date.now(), health: { notFound: 0, failures: 0, torn: 0 } },
    };
    this.roots.set(ref.id, rs);
    return rs;
  }

  private registerTask(rs: RootState, fresh: boolean): void {
    this.ctx.tasks!.add({ type: REFRESH, target: rs.rid, intervalMs: this.s.refreshMs, firstRunInMs: fresh ? this.s.refreshMs : undefined, run: (signal) => this.refresh(rs, signal) });
  }

  private async loadGeneration(rs: RootState, n: number): Promise<Generation> {
    const m = await this.store.readManifest(rs.rid, n);
    if (!m) throw new Error(`manifest ${n} missing or unparseable`);
    const parsed = await this.format.parsePrimary(await this.primaryBytes(m), rs.ref, { acceptTorn: true });
    const g: Generation = { n, manifest: m, parsed, byDigest: digestMap(parsed) };
    const idx = this.store.indexPath(rs.rid, n);
    g.index = (await PackageIndex.exists(idx)) ? await PackageIndex.open(idx) : await this.buildIndex(rs, g);
    return g;
  }

  private async primaryBytes(m: Manifest): Promise<Map<string, Buffer | null>> {
    const files = new Map<string, Buffer | null>();
    for (const [name, rec] of Object.entries(m.primary)) files.set(name, 'absent' in rec ? null : await readFile(this.store.metaPath(rec.sha256)));
    return files;
  }

  /** roots.json is rewritten on change, coalesced (request times change often) */
  private markDirty(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => { this.saveTimer = undefined; void this.saveRoots(); }, 1000);
    this.saveTimer.unref();
  }
  private async saveRoots(): Promise<void> {
    const docs = [...this.roots.values()].filter((r) => r.gens.length).map((r) => r.doc);
    await this.store.writeRoots(docs).catch((e: Error) => this.ctx.log.warn('could not write roots.json', { instance: this.ctx.instance, err: e.message }));
  }

  private knownRoot = (path: string): RootRef | undefined => {
    let best: RootRef | undefined;
    for (const r of this.roots.values()) {
      if (!r.gens.length) continue;
      const p = r.ref.path;
      if ((p === '' || path === p || path.startsWith(p + '/')) && (!best || p.length > best.path.length)) best = r.ref;
    }
    return best;
  };

  // ------------------------------------------------------------------ requests
  async respond(m: Match): Promise<RespondOutput> {
    const c = this.format.classify(m.path, this.knownRoot);
    if (c.type === 'passthrough') return this.passthrough(m);
    let rs = this.roots.get(c.root.id);
    const cold = !rs?.gens.length;
    if (cold) {
      const built = await this.coldStart(c.root, true);
      if (built === 'timeout' || built === 'absent') return this.passthrough(m);
      rs = this.roots.get(c.root.id)!;
    }
    rs!.doc.lastRequest = Date.now();
    this.markDirty();
    return this.fromGenerations(rs!, c, m, cold);
  }

  private async fromGenerations(rs: RootState, c: Exclude<Classified, { type: 'passthrough' }>, m: Match, cold: boolean): Promise<RespondOutput> {
    const g = rs.gens[0]!;
    if (c.type === 'primary') {
      const rec = g.manifest.primary[c.name];
      const label = cold ? 'MISS' : 'GENERATION';
      if (!rec || 'absent' in rec) return this.text(404, `${c.name} does not exist upstream (generation ${g.n})`, { 'x-cache': label, 'x-cache-generation': String(g.n) });
      return this.serve(g, rec, label);
    }
    if (c.type === 'listed') {
      const pins = g.parsed.listed.get(c.name);
      if (!pins) return this.passthrough(m);
      if (!this.s.pdiffs && /\.diff\/Index$/.test(c.name)) return this.text(404, 'pdiffs are disabled on this proxy: download whole indexes');
      this.want(rs, c.name);
      const stored = g.manifest.files[c.name];
      if (stored) return this.serve(g, stored, 'GENERATION');
      return this.addition(rs, g, c.name, pins).then((rec) => this.serve(g, rec, 'MISS'), (e) => this.unavailable(rs, c.name, e));
    }
    // by-hash: any retained generation (a client that read the previous primary just before a publish)
    for (const gen of rs.gens) {
      const name = gen.byDigest.get(`${c.alg}:${c.hex}`);
      if (name === undefined || dirOf(name) !== c.dir) continue;
      if (gen === g) this.want(rs, name);
      const stored = gen.manifest.files[name];
      if (stored) return this.serve(gen, stored, 'HIT');
      return this.addition(rs, gen, name, gen.parsed.listed.get(name)!).then((rec) => this.serve(gen, rec, 'MISS'), (e) => this.unavailable(rs, name, e));
    }
    return this.passthrough(m);
  }

  private want(rs: RootState, name: string): void {
    rs.doc.wanted[name] = Date.now();
    this.markDirty();
  }

  private serve(g: Generation, rec: FileRec, cache: string): RespondOutput {
    return {
      status: 200,
      headers: {
        'content-type': rec.type ?? 'application/octet-stream',
        'last-modified': rec.lastModified ?? new Date(g.manifest.published).toUTCString(),
        etag: rec.etag && !rec.etag.startsWith('W/') ? rec.etag : `"${rec.sha256.slice(0, 32)}"`,
        'x-cache': cache, 'x-cache-generation': String(g.n),
      },
      file: { path: this.store.metaPath(rec.sha256), size: rec.size },
    };
  }

  private text(status: number, msg: string, extra: Record<string, string> = {}): RespondOutput {
    return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-cache': 'ERROR', ...extra }, body: `${status} ${msg}\n` };
  }

  /** no upstream yields the pinned bytes: 503 and an immediate refresh (§4.3.4) */
  private unavailable(rs: RootState, name: string, e: unknown): RespondOutput {
    this.ctx.log.warn('listed file unavailable from every upstream', { instance: this.ctx.instance, root: rs.ref.id, key: name, err: (e as Error).message });
    this.ctx.tasks!.trigger(REFRESH, rs.rid);
    return this.text(503, `${name}: no upstream has the bytes the repository index pins; refreshing`, { 'retry-after': '5' });
  }

  /** unknown paths, unlisted files, a cold build past cold_wait: forwarded, not stored */
  private async passthrough(m: Match): Promise<RespondOutput> {
    const method = m.method === 'HEAD' ? 'HEAD' : 'GET';
    const headers: Record<string, string> = {};
    for (const h of ['range', 'if-range', 'if-none-match', 'if-modified-since']) if (m.headers[h]) headers[h] = m.headers[h]!;
    let r: UpstreamReply;
    try {
      r = await this.ctx.fetch!({ path: encodePath(m.path), method, headers, foreground: true });
    } catch (e) {
      const f = failure(e);
      return this.text(f.status, f.message);
    }
    const out: Record<string, string> = { 'x-cache': 'PASSTHROUGH' };
    for (const h of ['content-type', 'content-length', 'content-range', 'accept-ranges', 'last-modified', 'etag', 'retry-after']) if (r.headers[h]) out[h] = r.headers[h]!;
    if (method === 'HEAD' || r.status === 304) { r.release(); return { status: r.status, headers: out }; }
    return { status: r.status, headers: out, body: r.body };
  }

  // ------------------------------------------------------------------ cold path (§4.1)
  /** the first build of a root; every request for it joins; `wait` bounds a request's wait by cold_wait */
  private coldStart(ref: RootRef, wait: boolean): Promise<Generation | 'absent' | 'timeout'> {
    let build = this.colds.get(ref.id);
    if (!build) {
      build = this.coldBuild(ref).finally(() => this.colds.delete(ref.id));
      this.colds.set(ref.id, build);
      build.catch((e: Error) => this.ctx.log.warn('first build of a repository root failed', { instance: this.ctx.instance, root: ref.id, err: e.message }));
    }
    const safe = build.catch(() => 'absent' as const);
    return wait ? Promise.race([safe, sleep(this.s.coldWaitMs)]) : safe;
  }

  private async coldBuild(ref: RootRef): Promise<Generation | 'absent'> {
    const until = this.noRoot.get(ref.id);
    if (until && until > Date.now()) return 'absent';
    const names = this.format.primaryNames(ref);
    // the first primary file found decides the one upstream the whole generation comes from
    const files = new Map<string, Fetched>();
    let base: string | undefined;
    for (const name of names) {
      const f = await this.fetchSmall(ref, name, undefined, true);
      files.set(name, f);
      if (f.status === 200) { base = f.base; break; }
    }
    if (!base) { this.rememberNoRoot(ref.id); return 'absent'; }
    for (const name of names) if (!files.has(name)) files.set(name, await this.fetchSmall(ref, name, [base], false));
    const rs = this.roots.get(ref.id) ?? this.newRoot(ref);
    try {
      const cand = await this.assemble(rs, base, files, []);
      const g = await this.publish(rs, cand);
      this.registerTask(rs, true);
      this.ctx.events!.emit({ result: 'updated', task_type: 'repo_discover', target: rs.rid, message: `new root ${ref.id}: generation ${g.n} from ${hostOf(base)}` });
      return g;
    } catch (e) {
      if (!rs.gens.length) this.roots.delete(ref.id);
      if (e instanceof RepoError && (e.code === 'E_INVALID' || e.code === 'E_NOT_FOUND')) { this.rememberNoRoot(ref.id); return 'absent'; }
      throw e;
    }
  }

  /** paths that named no repository are not probed again for a minute (bounded: clients choose these names) */
  private rememberNoRoot(id: string): void {
    if (this.noRoot.size >= 10_000) this.noRoot.delete(this.noRoot.keys().next().value!);
    this.noRoot.set(id, Date.now() + NO_ROOT_TTL);
  }

  /** a primary file (small, buffered); 404 = absent; other statuses and network errors throw */
  private async fetchSmall(ref: RootRef, name: string, bases: string[] | undefined, failoverOn404: boolean, headers?: Record<string, string>, signal?: AbortSignal): Promise<Fetched> {
    const r = await this.ctx.fetch!({ path: encodePath(join(ref.path, name)), bases, failoverOn404, headers, signal, foreground: !signal });
    if (r.status === 404 || r.status === 410 || r.status === 304) { r.body.resume(); r.release(); return { status: r.status, bytes: null, base: r.base }; }
    if (r.status !== 200) { r.body.resume(); r.release(); throw new RepoError('E_UPSTREAM', `${hostOf(r.base)} answered ${r.status} for ${name}`); }
    const rec = await this.store.receive(r.body, { max: this.s.maxMetadataBytes, headers: r.headers }).finally(() => r.release());
    return { status: 200, bytes: await readFile(this.store.metaPath(rec.sha256)), rec, base: r.base };
  }

  // ------------------------------------------------------------------ building and publishing (§4.2, §4.4)
  /** a candidate generation from ONE upstream: its primary files, then every wanted file it still lists */
  private async assemble(rs: RootState, base: string, files: Map<string, Fetched>, wanted: string[], signal?: AbortSignal): Promise<{ base: string; primary: Record<string, PrimaryRec>; parsed: ParsedPrimary; files: Record<string, FileRec> }> {
    const bytes = new Map([...files].map(([n, f]) => [n, f.bytes] as const));
    const parsed = await this.format.parsePrimary(bytes, rs.ref, { acceptTorn: rs.doc.health.torn >= 3 });
    const cur = rs.gens[0];
    if (cur?.parsed.date !== undefined && parsed.date !== undefined && parsed.date < cur.parsed.date)
      throw new RepoError('E_BEHIND', `upstream behind: its primary is dated ${new Date(parsed.date).toISOString()}, older than generation ${cur.n}`);
    const primary: Record<string, PrimaryRec> = {};
    for (const [n, f] of files) primary[n] = f.rec ?? { absent: true };
    const listed: Record<string, FileRec> = {};
    for (const name of new Set([...this.format.mandatory(parsed), ...wanted])) {
      if (signal?.aborted) throw new RepoError('E_UPSTREAM', 'refresh aborted');
      const pins = parsed.listed.get(name);
      if (pins) listed[name] = await this.fetchListed(rs, name, pins, parsed, [base], signal);
    }
    return { base, primary, parsed, files: listed };
  }

  /** a listed file with its pins: reused from the store when known, else from `bases` (by-hash, then path) */
  private async fetchListed(rs: RootState, name: string, pins: Pins, parsed: ParsedPrimary, bases: string[], signal?: AbortSignal): Promise<FileRec> {
    const known = this.storedWithPins(rs, pins);
    if (known && (await this.store.hasMeta(known.sha256))) return known;
    const errors: string[] = [];
    for (const base of bases) {
      for (const variant of this.format.upstreamNames(name, pins, parsed, { byHash: this.s.upstreamByHash })) {
        let r: UpstreamReply;
        try {
          r = await this.ctx.fetch!({ path: encodePath(join(rs.ref.path, variant)), bases: [base], signal, foreground: !signal });
        } catch (e) { errors.push(`${hostOf(base)}: ${(e as Error).message}`); break; } // this upstream is unreachable
        if (r.status !== 200) { r.body.resume(); r.release(); errors.push(`${hostOf(base)} ${variant}: ${r.status}`); continue; }
        try {
          return await this.store.receive(r.body, { pins, max: this.s.maxMetadataBytes, headers: r.headers });
        } catch (e) {
          errors.push(`${hostOf(base)} ${variant}: ${(e as Error).message}`);
        } finally { r.release(); }
      }
    }
    throw new RepoError('E_MISMATCH', `${name}: ${errors.join('; ') || 'no upstream'}`);
  }

  private storedWithPins(rs: RootState, pins: Pins): FileRec | undefined {
    for (const g of rs.gens) for (const rec of Object.values(g.manifest.files)) {
      if (rec.size === pins.size && (pins.sha256 ? rec.sha256 === pins.sha256 : !!pins.sha512 && rec.hashes.sha512 === pins.sha512)) return rec;
    }
    return undefined;
  }

  /** manifest, then package index, then the current pointer, then the in-memory view (§4.2) */
  private async publish(rs: RootState, cand: { base: string; primary: Record<string, PrimaryRec>; parsed: ParsedPrimary; files: Record<string, FileRec> }): Promise<Generation> {
    return this.locked(rs, async () => {
      const n = rs.maxN + 1;
      const now = new Date().toISOString();
      const manifest: Manifest = {
        root: rs.ref.id, layout: rs.ref.layout, path: rs.ref.path, n, upstream: cand.base, created: now, published: now,
        primary: cand.primary, files: cand.files, attrs: cand.parsed.attrs, warnings: cand.parsed.warnings,
      };
      await this.store.writeManifest(rs.rid, manifest);
      rs.maxN = n;
      const g: Generation = { n, manifest, parsed: cand.parsed, byDigest: digestMap(cand.parsed) };
      g.index = await this.buildIndex(rs, g);
      await this.store.writeCurrent(rs.rid, n);
      rs.gens = [g, ...rs.gens].slice(0, this.s.generationKeep);
      this.indexEpoch++; // generations left the view
      // entries the new primary no longer lists leave the wanted set
      for (const name of Object.keys(rs.doc.wanted)) if (!cand.parsed.listed.has(name)) delete rs.doc.wanted[name];
      this.markDirty();
      this.ctx.log.info('generation published', { instance: this.ctx.instance, root: rs.ref.id, generation: n, upstream: hostOf(cand.base), files: Object.keys(cand.files).length });
      return g;
    });
  }

  private locked<T>(rs: RootState, fn: () => Promise<T>): Promise<T> {
    const run = rs.lock.then(fn, fn);
    rs.lock = run.catch(() => undefined);
    return run;
  }

  /** the package index of a generation: one stored index file per group */
  private async buildIndex(rs: RootState, g: Generation): Promise<PackageIndex> {
    const chosen = new Map<string, string>();
    for (const name of Object.keys(g.manifest.files).sort()) {
      const group = this.format.indexGroup(name);
      if (group !== null && !chosen.has(group)) chosen.set(group, name);
    }
    const entries: PackageEntry[] = [];
    for (const name of chosen.values()) {
      try {
        for await (const e of this.format.readIndex(name, createReadStream(this.store.metaPath(g.manifest.files[name]!.sha256)), rs.ref)) entries.push(e);
      } catch (e) {
        const w = `${name}: index not parseable (${(e as Error).message}); its artifacts are treated as unindexed`;
        if (!g.manifest.warnings.includes(w)) g.manifest.warnings.push(w);
      }
    }
    const file = this.store.indexPath(rs.rid, g.n);
    await writePackageIndex(file, entries);
    const idx = await PackageIndex.open(file);
    this.indexEpoch++;
    return idx;
  }

  /** a listed file the generation does not store yet (§4.3): its upstream first, then the others */
  private addition(rs: RootState, g: Generation, name: string, pins: Pins): Promise<FileRec> {
    const key = `${g.n}\n${name}`;
    let p = rs.additions.get(key);
    if (!p) {
      const bases = [g.manifest.upstream, ...this.s.upstreams.filter((u) => u !== g.manifest.upstream)];
      p = this.fetchListed(rs, name, pins, g.parsed, bases).then((rec) => this.locked(rs, async () => {
        g.manifest.files[name] = rec;
        await this.store.writeManifest(rs.rid, g.manifest);
        if (this.format.indexGroup(name) !== null) g.index = await this.buildIndex(rs, g);
        return rec;
      })).finally(() => rs.additions.delete(key));
      rs.additions.set(key, p);
    }
    return p;
  }

  // ------------------------------------------------------------------ background refresh (§4.4)
  async refresh(rs: RootState, signal: AbortSignal): Promise<'updated' | 'unchanged' | 'skipped'> {
    if (!this.roots.has(rs.ref.id)) return 'skipped';
    if (Date.now() - rs.doc.lastRequest > this.s.idleStopMs) return 'skipped';
    const started = performance.now();
    let result = 'failed';
    try {
      const out = await this.refreshOnce(rs, signal);
      result = out;
      return out;
    } catch (e) {
      rs.doc.health.lastError = (e as Error).message.slice(0, 1000);
      throw e;
    } finally {
      this.refreshes.inc({ instance: this.ctx.instance, result });
      this.refreshSeconds.observe({ instance: this.ctx.instance }, (performance.now() - started) / 1000);
      rs.doc.health.lastRefresh = new Date().toISOString();
      rs.doc.health.lastOutcome = result;
      if (result !== 'failed') { rs.doc.health.failures = 0; rs.doc.health.lastError = undefined; } else rs.doc.health.failures++;
      this.markDirty();
    }
  }

  private async refreshOnce(rs: RootState, signal: AbortSignal): Promise<'updated' | 'unchanged'> {
    const cur = rs.gens[0]!;
    const names = this.format.primaryNames(rs.ref);
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
      checked = await this.fetchSmall(rs.ref, checkName, [cur.manifest.upstream], false, cond, signal);
      if (checked.status === 304) return 'unchanged';
      if (checked.rec && checkRec && !('absent' in checkRec) && checked.rec.sha256 === checkRec.sha256 && rs.doc.health.torn === 0) return 'unchanged';
    } catch { checked = undefined; /* the current upstream is unreachable: build from the others */ }
    // 2. build from one upstream at a time, from scratch each time
    const now = Date.now();
    const wanted = Object.entries(rs.doc.wanted).filter(([, at]) => now - at <= this.s.indexKeepUnusedMs).map(([n]) => n);
    for (const [n, at] of Object.entries(rs.doc.wanted)) if (now - at > this.s.indexKeepUnusedMs) delete rs.doc.wanted[n];
    const order = [cur.manifest.upstream, ...this.s.upstreams.filter((u) => u !== cur.manifest.upstream)];
    const errors: string[] = [];
    let notFound = 0, torn = false;
    for (const base of order) {
      if (signal.aborted) break;
      try {
        const files = new Map<string, Fetched>();
        for (const name of names) {
          if (checked && base === cur.manifest.upstream && name === checkName && checked.status === 200) { files.set(name, checked); continue; }
          files.set(name, await this.fetchSmall(rs.ref, name, [base], false, undefined, signal));
        }
        if ([...files.values()].every((f) => f.status !== 200)) { notFound++; throw new RepoError('E_NOT_FOUND', 'no primary file'); }
        const cand = await this.assemble(rs, base, files, wanted, signal);
        if (samePrimary(cand.primary, cur.manifest.primary)) { rs.doc.health.torn = 0; rs.doc.health.notFound = 0; return 'unchanged'; }
        await this.publish(rs, cand);
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
      if (rs.doc.health.notFound >= NOT_FOUND_RUNS && now - rs.doc.health.notFoundSince >= NOT_FOUND_SPAN) this.removeRoot(rs);
    }
    throw new Error(`every upstream failed; generation ${cur.n} keeps serving (${errors.join('; ')})`);
  }

  private removeRoot(rs: RootState): void {
    this.roots.delete(rs.ref.id);
    this.indexEpoch++;
    this.ctx.tasks!.remove(REFRESH, rs.rid);
    void this.store.dropRoot(rs.rid);
    this.markDirty();
    this.ctx.events!.emit({ result: 'removed', task_type: REFRESH, target: rs.rid, message: `root ${rs.ref.id} removed: not found on any upstream for ${NOT_FOUND_RUNS} refreshes` });
  }

  // ------------------------------------------------------------------ artifacts (§5)
  /** expected digests of an artifact path: union of every retained package index of every root */
  async expected(path: string): Promise<VerifyResult> {
    if (!this.s.verifyArtifacts) return null;
    // requests that arrive during a cold build wait for it, so the first run can already verify them
    if (this.colds.size) await Promise.race([Promise.allSettled([...this.colds.values()]), sleep(this.s.coldWaitMs)]);
    const e = await this.lookup(path);
    if (!e) return null;
    return { size: e.size, ...(e.sha256 ? { sha256: e.sha256 } : {}), ...(e.sha512 ? { sha512: e.sha512 } : {}), source: 'the repository index' };
  }

  /** unindexed_artifacts (§5.4): artifacts no retained generation lists are cached, passed through or refused */
  async admit(path: string): Promise<'cache' | 'pass' | { status: number; message: string }> {
    if (this.s.unindexed === 'cache') return 'cache';
    if (this.colds.size) await Promise.race([Promise.allSettled([...this.colds.values()]), sleep(this.s.coldWaitMs)]);
    if (await this.lookup(path)) return 'cache';
    return this.s.unindexed === 'pass' ? 'pass' : { status: 404, message: 'not listed by any repository index' };
  }

  private async lookup(path: string): Promise<PackageEntry | undefined> {
    // every hit of a `reverify` kind asks again: answer repeated questions from memory until an index changes
    const memo = this.lookups.get(path);
    if (memo && memo.epoch === this.indexEpoch) return memo.entry;
    const epoch = this.indexEpoch;
    let entry: PackageEntry | undefined;
    for (const rs of this.roots.values()) {
      for (const g of rs.gens) { entry = await g.index?.lookup(path); if (entry) break; }
      if (entry) break;
    }
    if (this.lookups.size >= 10_000) this.lookups.delete(this.lookups.keys().next().value!);
    this.lookups.set(path, { epoch, entry });
    return entry;
  }

  // ------------------------------------------------------------------ cleanup (§6)
  async cleanup(signal: AbortSignal): Promise<'updated' | 'unchanged'> {
    const { dryRun, batchSize } = this.ctx.cleanup ?? { dryRun: false, batchSize: 500 };
    let removed = 0;
    const would: string[] = [];
    // storage.cleanup: dry_run only lists; deletions go in batches, yielding between them
    const drop = async (what: string, fn: () => Promise<void>) => {
      if (dryRun) { if (would.length < 20) would.push(what); removed++; return; }
      await fn();
      if (++removed % batchSize === 0) await new Promise((r) => setImmediate(r));
    };
    const referenced = new Set<string>();
    for (const rs of this.roots.values()) {
      const keep = new Set(rs.gens.map((g) => g.n));
      for (const n of await this.store.generations(rs.rid)) if (!keep.has(n) && n < (rs.gens[0]?.n ?? 0)) await drop(`${rs.ref.id} generation ${n}`, () => this.store.dropGeneration(rs.rid, n));
      for (const g of rs.gens) {
        for (const r of Object.values(g.manifest.primary)) if (!('absent' in r)) referenced.add(r.sha256);
        for (const r of Object.values(g.manifest.files)) referenced.add(r.sha256);
      }
    }
    // files committed by a build or an addition still in progress are not in a manifest yet: META_GRACE covers them
    for await (const f of this.store.metaFiles()) {
      if (signal.aborted) break;
      if (!referenced.has(f.sha256) && Date.now() - f.mtime > META_GRACE) await drop(`metadata ${f.sha256.slice(0, 16)}…`, () => this.store.dropMeta(f.sha256));
    }
    // artifacts: listed by any retained generation → kept; unlisted and unused for artifact_expire_after → deleted
    if (Number.isFinite(this.s.artifactExpireMs)) {
      for await (const e of this.ctx.cache!.list()) {
        if (signal.aborted) break;
        if (e.kind !== 'artifact' || Date.now() - e.lastUsedAt <= this.s.artifactExpireMs) continue;
        if (await this.lookup(e.key)) continue;
        await drop(e.key, () => this.ctx.cache!.delete(e.kind, e.key));
      }
    }
    if (!dryRun) removed += await this.store.dropStaleTemps(STALE_TEMP);
    if (dryRun && removed) this.ctx.log.info('repository cleanup dry run', { instance: this.ctx.instance, would_remove: removed, keys: would });
    return removed && !dryRun ? 'updated' : 'unchanged';
  }

  // ------------------------------------------------------------------ status (home page)
  status(): Record<string, unknown> {
    const roots = [...this.roots.values()].filter((r) => r.gens.length).map((r) => {
      const g = r.gens[0]!;
      return {
        root: r.ref.id, generation: g.n, upstream: hostOf(g.manifest.upstream), published: g.manifest.published,
        files: Object.keys(g.manifest.files).length, packages: g.index?.count ?? 0, wanted: Object.keys(r.doc.wanted).length,
        last_refresh: r.doc.health.lastRefresh ?? '—', outcome: r.doc.health.lastOutcome ?? '—', ...(r.doc.health.lastError ? { error: r.doc.health.lastError } : {}),
        ...(g.manifest.warnings.length ? { warnings: g.manifest.warnings.join('; ') } : {}),
      };
    });
    return { roots };
  }
}

function digestMap(parsed: ParsedPrimary): Map<string, string> {
  const m = new Map<string, string>();
  for (const [name, pins] of parsed.listed) for (const alg of ['sha256', 'sha512', 'sha1', 'md5'] as const) if (pins[alg]) m.set(`${alg}:${pins[alg]}`, name);
  return m;
}

function samePrimary(a: Record<string, PrimaryRec>, b: Record<string, PrimaryRec>): boolean {
  const key = (r?: PrimaryRec) => (!r ? 'none' : 'absent' in r ? 'absent' : r.sha256);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].every((n) => key(a[n]) === key(b[n]));
}
