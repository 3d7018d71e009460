// Answers for metadata paths: primaries and listed files from the current generation (stored, or added on
// demand), digest-named files from any retained generation, everything else passed through unstored.
import type { Match, RespondOutput, UpstreamReply } from '../../engine/mode.js';
import type { Classified } from './format.js';
import type { FileRec, Generation, RootState } from './generation.js';
import { addition, joinPrimary } from './publish.js';
import type { ColdStarts } from './cold.js';
import { REFRESH_TASK, type RepoCore } from './core.js';
import { dirOf, encodePath } from './repo-paths.js';

const failure = (e: unknown) => ({ status: typeof (e as { status?: unknown }).status === 'number' ? (e as { status: number }).status : 502, message: (e as Error).message ?? String(e) });

export class MetadataResponder {
  constructor(private core: RepoCore, private colds: ColdStarts) {}

  async respond(m: Match): Promise<RespondOutput> {
    const core = this.core;
    const c = core.format.classify(m.path, core.knownRoot);
    if (c.type === 'passthrough') return this.passthrough(m);
    let rs = core.roots.get(c.root.id);
    const cold = !rs?.gens.length;
    if (cold) {
      const built = await this.colds.start(c.root, true);
      if (built === 'timeout' || built === 'absent') return this.passthrough(m);
      rs = core.roots.get(c.root.id)!;
    }
    rs!.doc.lastRequest = Date.now();
    core.markDirty();
    return this.fromGenerations(rs!, c, m, cold);
  }

  private async fromGenerations(rs: RootState, c: Exclude<Classified, { type: 'passthrough' }>, m: Match, cold: boolean): Promise<RespondOutput> {
    const core = this.core;
    const g = rs.gens[0]!;
    if (c.type === 'primary') {
      const onDemand = core.format.onDemandPrimaries?.(rs.ref).includes(c.name) ?? false;
      if (onDemand) core.want(rs, c.name);
      if (onDemand && !g.manifest.primary[c.name]) {
        return joinPrimary(core, rs, g, c.name).then(
          (rec) => ('absent' in rec ? text(404, `${c.name} does not exist upstream (generation ${g.n})`, { 'x-cache-generation': String(g.n) }) : this.serve(g, rec, 'MISS')),
          (e) => this.unavailable(rs, c.name, e, 'its upstream has no bytes that agree with the generation'));
      }
      const rec = g.manifest.primary[c.name];
      const label = cold ? 'MISS' : 'GENERATION';
      if (!rec || 'absent' in rec) return text(404, `${c.name} does not exist upstream (generation ${g.n})`, { 'x-cache': label, 'x-cache-generation': String(g.n) });
      return this.serve(g, rec, label);
    }
    if (c.type === 'listed') {
      if (!g.parsed.listed.has(c.name)) return this.passthrough(m);
      const refused = core.format.refuse?.(c.name, core.s);
      if (refused) return text(404, refused);
      core.want(rs, c.name);
      const stored = g.manifest.files[c.name];
      if (stored) return this.serve(g, stored, 'GENERATION');
      return addition(core, rs, g, c.name).then((rec) => this.serve(g, rec, 'MISS'), (e) => this.unavailable(rs, c.name, e));
    }
    // by digest: any retained generation (a client that read the previous primary just before a publish)
    for (const gen of rs.gens) {
      const name = gen.byDigest.get(`${c.alg}:${c.hex}`);
      if (name === undefined || dirOf(name) !== c.dir) continue;
      if (gen === g) core.want(rs, name);
      const stored = gen.manifest.files[name];
      if (stored) return this.serve(gen, stored, 'HIT');
      return addition(core, rs, gen, name).then((rec) => this.serve(gen, rec, 'MISS'), (e) => this.unavailable(rs, name, e));
    }
    return this.passthrough(m);
  }

  private async serve(g: Generation, rec: FileRec, cache: string): Promise<RespondOutput> {
    return {
      status: 200,
      headers: {
        'content-type': rec.type ?? 'application/octet-stream',
        'last-modified': rec.lastModified ?? new Date(g.manifest.published).toUTCString(),
        etag: rec.etag && !rec.etag.startsWith('W/') ? rec.etag : `"${rec.sha256.slice(0, 32)}"`,
        'x-cache': cache, 'x-cache-generation': String(g.n),
      },
      file: { path: await this.core.store.localFile(rec.sha256), size: rec.size },
    };
  }

  /** no upstream yields the pinned bytes: 503 and an immediate refresh */
  private unavailable(rs: RootState, name: string, e: unknown, why = 'no upstream has the bytes the repository index pins'): RespondOutput {
    const { ctx } = this.core;
    ctx.log.warn('listed file unavailable from every upstream', { instance: ctx.instance, root: rs.ref.id, key: name, err: (e as Error).message });
    ctx.tasks.trigger(REFRESH_TASK, rs.rid);
    return text(503, `${name}: ${why}; refreshing`, { 'retry-after': '5' });
  }

  /** unknown paths, unlisted files, a cold build past cold_wait: forwarded, not stored */
  private async passthrough(m: Match): Promise<RespondOutput> {
    const method = m.method === 'HEAD' ? 'HEAD' : 'GET';
    const headers: Record<string, string> = {};
    for (const h of ['range', 'if-range', 'if-none-match', 'if-modified-since']) if (m.headers[h]) headers[h] = m.headers[h]!;
    let r: UpstreamReply;
    try {
      r = await this.core.ctx.fetch({ path: encodePath(m.path), method, headers, foreground: true });
    } catch (e) {
      const f = failure(e);
      return text(f.status, f.message);
    }
    const out: Record<string, string> = { 'x-cache': 'PASSTHROUGH' };
    for (const h of ['content-type', 'content-length', 'content-range', 'accept-ranges', 'last-modified', 'etag', 'retry-after']) if (r.headers[h]) out[h] = r.headers[h]!;
    if (method === 'HEAD' || r.status === 304) { r.release(); return { status: r.status, headers: out }; }
    return { status: r.status, headers: out, body: r.body };
  }
}

function text(status: number, msg: string, extra: Record<string, string> = {}): RespondOutput {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-cache': 'ERROR', ...extra }, body: `${status} ${msg}\n` };
}
