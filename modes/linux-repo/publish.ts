// Building and publishing generations: a candidate from ONE upstream (its primaries, then every mandatory
// and wanted file it lists), the rollback check, the package index, the atomic publish, later additions.
import { createReadStream } from 'node:fs';
import { RepoError, type ParsedPrimary } from './format.js';
import { digestMap, type FileRec, type Generation, type Manifest, type PrimaryRec, type RootState } from './generation.js';
import { PackageIndex, writePackageIndex, type PackageEntry } from './package-index.js';
import { fetchListed, fetchPrimary, type Fetched } from './upstream-files.js';
import { hostOf, type RepoCore } from './core.js';

export interface Candidate { base: string; primary: Record<string, PrimaryRec>; parsed: ParsedPrimary; files: Record<string, FileRec> }

/** a candidate generation from ONE upstream: its primary files, then every wanted file it still lists */
export async function assemble(core: RepoCore, rs: RootState, base: string, files: Map<string, Fetched>, wanted: string[], signal?: AbortSignal): Promise<Candidate> {
  const bytes = new Map([...files].map(([n, f]) => [n, f.bytes] as const));
  const parsed = await core.format.parsePrimary(bytes, rs.ref, { acceptTorn: rs.doc.health.torn >= 3 });
  const cur = rs.gens[0];
  if (cur?.parsed.date !== undefined && parsed.date !== undefined && parsed.date < cur.parsed.date)
    throw new RepoError('E_BEHIND', `upstream behind: its primary is dated ${new Date(parsed.date).toISOString()}, older than generation ${cur.n}`);
  const primary: Record<string, PrimaryRec> = {};
  for (const [n, f] of files) primary[n] = f.rec ?? { absent: true };
  const listed: Record<string, FileRec> = {};
  for (const name of new Set([...core.format.mandatory(parsed), ...wanted])) {
    if (signal?.aborted) throw new RepoError('E_UPSTREAM', 'refresh aborted');
    const pins = parsed.listed.get(name);
    if (pins) listed[name] = await fetchListed(core, rs, name, pins, parsed, [base], signal);
  }
  return { base, primary, parsed, files: listed };
}

/** package index, then the root's state document (manifest + current at once), then the in-memory view */
export function publish(core: RepoCore, rs: RootState, cand: Candidate): Promise<Generation> {
  return core.locked(rs, async () => {
    const n = rs.maxN + 1;
    const now = new Date().toISOString();
    const manifest: Manifest = {
      root: rs.ref.id, layout: rs.ref.layout, path: rs.ref.path, n, upstream: cand.base, created: now, published: now,
      primary: cand.primary, files: cand.files, attrs: cand.parsed.attrs, warnings: cand.parsed.warnings,
    };
    const g: Generation = { n, manifest, parsed: cand.parsed, byDigest: digestMap(cand.parsed) };
    g.index = await buildIndex(core, rs, g);
    rs.maxN = n;
    rs.gens = [g, ...rs.gens].slice(0, core.s.generationKeep);
    core.indexEpoch++; // the view changed: lookups remembered before it are void (before any await: requests see it now)
    rs.stored = [manifest, ...rs.stored];
    await core.saveGenerations(rs);
    // entries the new primary no longer lists leave the wanted set
    for (const name of Object.keys(rs.doc.wanted)) if (!cand.parsed.listed.has(name) && !(name in cand.primary)) delete rs.doc.wanted[name];
    core.markDirty();
    core.ctx.log.info('generation published', { instance: core.ctx.instance, root: rs.ref.id, generation: n, upstream: hostOf(cand.base), files: Object.keys(cand.files).length });
    return g;
  });
}

/** a generation of the root's state document back in memory (restart: no upstream contact) */
export async function loadGeneration(core: RepoCore, rs: RootState, m: Manifest): Promise<Generation> {
  const files = new Map<string, Buffer | null>();
  for (const [name, rec] of Object.entries(m.primary)) files.set(name, 'absent' in rec ? null : await core.store.read(rec.sha256));
  const parsed = await core.format.parsePrimary(files, rs.ref, { acceptTorn: true });
  const g: Generation = { n: m.n, manifest: m, parsed, byDigest: digestMap(parsed) };
  g.index = m.index && (await core.store.has(m.index)) ? await PackageIndex.open(await core.store.localFile(m.index)) : await buildIndex(core, rs, g);
  return g;
}

/** the names whose entries make a generation's package index: the primaries if they are the index, one file per group */
function indexSources(core: RepoCore, m: Manifest): { name: string; rec: FileRec }[] {
  const out: { name: string; rec: FileRec }[] = [];
  if (core.format.primaryIsIndex) for (const [name, rec] of Object.entries(m.primary)) if (!('absent' in rec)) out.push({ name, rec });
  const chosen = new Set<string>();
  for (const name of Object.keys(m.files).sort()) {
    const group = core.format.indexGroup(name);
    if (group !== null && !chosen.has(group)) { chosen.add(group); out.push({ name, rec: m.files[name]! }); }
  }
  return out;
}

/** the package index of a generation, stored as a blob named in its manifest (the caller saves the manifest) */
export async function buildIndex(core: RepoCore, rs: RootState, g: Generation): Promise<PackageIndex> {
  const entries: PackageEntry[] = [];
  for (const { name, rec } of indexSources(core, g.manifest)) {
    try {
      for await (const e of core.format.readIndex(name, createReadStream(await core.store.localFile(rec.sha256)), rs.ref)) entries.push(e);
    } catch (e) {
      const w = `${name}: index not parseable (${(e as Error).message}); its artifacts are treated as unindexed`;
      if (!g.manifest.warnings.includes(w)) g.manifest.warnings.push(w);
    }
  }
  const file = core.store.tempPath();
  await writePackageIndex(file, entries);
  g.manifest.index = await core.store.commitFile(file);
  const idx = await PackageIndex.open(await core.store.localFile(g.manifest.index));
  core.indexEpoch++;
  return idx;
}

/** a listed file the generation does not store yet: its upstream first, then the others */
export function addition(core: RepoCore, rs: RootState, g: Generation, name: string): Promise<FileRec> {
  const key = `${g.n}\n${name}`;
  let p = rs.additions.get(key);
  if (!p) {
    const pins = g.parsed.listed.get(name)!;
    const bases = [g.manifest.upstream, ...core.s.upstreams.filter((u) => u !== g.manifest.upstream)];
    p = fetchListed(core, rs, name, pins, g.parsed, bases).then((rec) => core.locked(rs, async () => {
      g.manifest.files[name] = rec;
      if (core.format.indexGroup(name) !== null) g.index = await buildIndex(core, rs, g);
      await core.saveGenerations(rs);
      return rec;
    })).finally(() => rs.additions.delete(key));
    rs.additions.set(key, p);
  }
  return p;
}

/**
 * An on-demand primary the generation does not hold yet: fetched from the generation's upstream and parsed
 * with its other primaries. Bytes that do not make a valid state with them (torn, or already of the next
 * state) are refused and never served; the caller triggers a refresh that builds both together.
 */
export function joinPrimary(core: RepoCore, rs: RootState, g: Generation, name: string): Promise<PrimaryRec> {
  const key = `${g.n}\n${name}`;
  let p = rs.joins.get(key);
  if (!p) {
    p = (async () => {
      const f = await fetchPrimary(core, rs.ref, name, { bases: [g.manifest.upstream], failoverOn404: false });
      if (f.status !== 200 && f.status !== 404 && f.status !== 410) throw new RepoError('E_UPSTREAM', `${hostOf(g.manifest.upstream)} answered ${f.status} for ${name}`);
      const files = new Map<string, Buffer | null>();
      for (const [n, rec] of Object.entries(g.manifest.primary)) files.set(n, 'absent' in rec ? null : await core.store.read(rec.sha256));
      files.set(name, f.bytes);
      await core.format.parsePrimary(files, rs.ref, { acceptTorn: false });
      const rec: PrimaryRec = f.rec ?? { absent: true };
      return core.locked(rs, async () => {
        g.manifest.primary[name] = rec;
        await core.saveGenerations(rs);
        return rec;
      });
    })().finally(() => rs.joins.delete(key));
    rs.joins.set(key, p);
  }
  return p;
}
