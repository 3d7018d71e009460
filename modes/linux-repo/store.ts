// Where a repository instance keeps its state (linux-repos spec §8), under the mode's private directory:
//   meta/sha256/<hh>/<hex>           metadata bytes, content-addressed (shared across generations and roots)
//   roots/<rid>/current              {generation: n}
//   roots/<rid>/gen/<n>.json         manifest
//   roots/<rid>/gen/<n>.pkgidx       sorted package index
//   tmp/                             downloads in progress (emptied at start)
// roots.json (roots, wanted sets, health) is an engine state document (ctx.state), outside every cleanup walk.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ModeState } from '../../engine/mode.js';
import { writeAtomic, readJson, tempIn } from './files.js';
import { RepoError, type HashAlg, type Pins } from './format.js';

/** one stored metadata file */
export interface FileRec { sha256: string; size: number; hashes: Partial<Record<HashAlg, string>>; type?: string; lastModified?: string; etag?: string }
export type PrimaryRec = FileRec | { absent: true };

export interface Manifest {
  root: string; layout: string; path: string; n: number;
  /** the upstream base every file of this generation came from (its source of truth) */
  upstream: string;
  created: string; published: string;
  primary: Record<string, PrimaryRec>;
  files: Record<string, FileRec>;
  attrs: Record<string, string>;
  warnings: string[];
}

export interface RootHealth { notFound: number; notFoundSince?: number; failures: number; torn: number; lastRefresh?: string; lastOutcome?: string; lastError?: string }
export interface RootDoc { id: string; layout: string; path: string; wanted: Record<string, number>; lastRequest: number; health: RootHealth }

const slug = (id: string) => id.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 48);
export const ridOf = (id: string) => `${slug(id)}-${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;

export class RepoStore {
  readonly tmp: string;
  constructor(readonly dir: string, private state: ModeState) { this.tmp = join(dir, 'tmp'); }

  async open(): Promise<void> {
    await rm(this.tmp, { recursive: true, force: true });
    await mkdir(this.tmp, { recursive: true });
  }

  metaPath(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('bad metadata digest');
    return join(this.dir, 'meta', 'sha256', sha256.slice(0, 2), sha256);
  }
  hasMeta(sha256: string): Promise<boolean> { return stat(this.metaPath(sha256)).then(() => true, () => false); }
  genDir(rid: string): string { return join(this.dir, 'roots', rid, 'gen'); }
  manifestPath(rid: string, n: number): string { return join(this.genDir(rid), `${n}.json`); }
  indexPath(rid: string, n: number): string { return join(this.genDir(rid), `${n}.pkgidx`); }
  currentPath(rid: string): string { return join(this.dir, 'roots', rid, 'current'); }

  async readRoots(): Promise<RootDoc[]> { return ((await this.state.read('roots')) as { roots?: RootDoc[] } | null)?.roots ?? []; }
  writeRoots(roots: RootDoc[]): Promise<void> { return this.state.write('roots', { version: 1, roots }); }
  writeManifest(rid: string, m: Manifest): Promise<void> { return writeAtomic(this.manifestPath(rid, m.n), JSON.stringify(m)); }
  readManifest(rid: string, n: number): Promise<Manifest | null> { return readJson<Manifest>(this.manifestPath(rid, n)); }
  writeCurrent(rid: string, n: number): Promise<void> { return writeAtomic(this.currentPath(rid), JSON.stringify({ generation: n })); }
  async readCurrent(rid: string): Promise<number | null> { return (await readJson<{ generation?: number }>(this.currentPath(rid)))?.generation ?? null; }
  async generations(rid: string): Promise<number[]> {
    const names = await readdir(this.genDir(rid)).catch(() => [] as string[]);
    return [...new Set(names.map((n) => /^(\d+)\.json$/.exec(n)?.[1]).filter(Boolean).map(Number))].sort((a, b) => b - a);
  }
  async dropGeneration(rid: string, n: number): Promise<void> {
    await unlink(this.manifestPath(rid, n)).catch(() => undefined);
    await unlink(this.indexPath(rid, n)).catch(() => undefined);
  }
  async dropRoot(rid: string): Promise<void> { await rm(join(this.dir, 'roots', rid), { recursive: true, force: true }); }

  /**
   * Stream a body into the content-addressed store, hashing as it goes; with pins, size and every strong
   * digest must match before the bytes are committed (nothing is stored otherwise).
   */
  async receive(body: Readable, o: { pins?: Pins; max: number; headers?: Record<string, string> }): Promise<FileRec> {
    const tmp = tempIn(this.tmp);
    const h256 = createHash('sha256'), h512 = createHash('sha512');
    let size = 0;
    const ws = createWriteStream(tmp);
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > o.max || (o.pins && size > o.pins.size)) throw new RepoError(size > o.max ? 'E_TOO_LARGE' : 'E_MISMATCH', size > o.max ? `larger than max_metadata_file_size (${o.max} bytes)` : `longer than the ${o.pins!.size} bytes the primary pins`);
        h256.update(chunk); h512.update(chunk);
        if (!ws.write(chunk)) await new Promise<void>((r) => ws.once('drain', () => r()));
      }
      await new Promise<void>((res, rej) => ws.end((e?: Error | null) => (e ? rej(e) : res())));
      const sha256 = h256.digest('hex'), sha512 = h512.digest('hex');
      const p = o.pins;
      if (p && (p.size !== size || (p.sha256 && p.sha256 !== sha256) || (p.sha512 && p.sha512 !== sha512)))
        throw new RepoError('E_MISMATCH', `got ${size} bytes with sha256 ${sha256.slice(0, 16)}…, the primary pins ${p.size} bytes ${(p.sha256 ?? p.sha512 ?? '').slice(0, 16)}…`);
      const fh = await open(tmp, 'r+');
      try { await fh.sync(); } finally { await fh.close(); }
      await this.commit(tmp, sha256);
      const rec: FileRec = { sha256, size, hashes: { sha256, sha512 } };
      const hd = o.headers ?? {};
      if (hd['content-type']) rec.type = hd['content-type'];
      if (hd['last-modified']) rec.lastModified = hd['last-modified'];
      if (hd.etag) rec.etag = hd.etag;
      return rec;
    } catch (e) {
      // the file may be created only after destroy(): remove it once the stream has closed
      if (!ws.closed) await new Promise<void>((r) => { ws.once('close', () => r()); ws.destroy(); });
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  private async commit(tmp: string, sha256: string): Promise<void> {
    const target = this.metaPath(sha256);
    if (await this.hasMeta(sha256)) { await unlink(tmp).catch(() => undefined); return; }
    await mkdir(join(target, '..'), { recursive: true });
    await rename(tmp, target);
  }

  /** every stored metadata file (for cleanup) */
  async *metaFiles(): AsyncIterable<{ sha256: string; mtime: number }> {
    const base = join(this.dir, 'meta', 'sha256');
    for (const pre of (await readdir(base).catch(() => [] as string[])).sort()) {
      for (const name of await readdir(join(base, pre)).catch(() => [] as string[])) {
        const s = await stat(join(base, pre, name)).catch(() => null);
        if (s && /^[0-9a-f]{64}$/.test(name)) yield { sha256: name, mtime: s.mtimeMs };
      }
    }
  }
  async dropMeta(sha256: string): Promise<void> { await unlink(this.metaPath(sha256)).catch(() => undefined); }

  /** temp files left over (older than `age` ms) */
  async dropStaleTemps(age: number): Promise<number> {
    let n = 0;
    for (const name of await readdir(this.tmp).catch(() => [] as string[])) {
      const p = join(this.tmp, name);
      const s = await stat(p).catch(() => null);
      if (s && Date.now() - s.mtimeMs > age) { await unlink(p).catch(() => undefined); n++; }
    }
    return n;
  }
}
