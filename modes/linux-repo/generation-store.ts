// Where a repository instance keeps its generations, all through the engine store:
//   blobs (by sha256)          every metadata file and every generation's package index
//   state `roots`              roots, wanted sets, refresh health
//   state `gen-<rid>`          a root's manifests (newest first) and its current generation, written at once
// The instance holds the blobs its stored manifests name; the engine's blob GC removes the rest.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { InstanceBlobs, ModeState } from '../../engine/mode.js';
import { RepoError, verifyingAlgs, type Pins } from './format.js';
import { blobsOf, type FileRec, type Manifest, type RootDoc } from './generation.js';

/** a root's state document */
export interface RootGenerations { version: 1; current: number; maxN: number; manifests: Manifest[] }

/** blobs committed but maybe not named by a written manifest yet (a build in progress) stay held this long */
const PENDING_MS = 3600_000;

export class GenerationStore {
  private pending = new Map<string, number>();
  constructor(private blobs: InstanceBlobs, private state: ModeState) {}

  /** the blob's file where the store always keeps it (a filesystem store) */
  path(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('bad metadata digest');
    return this.blobs.path(sha256);
  }
  /** a local file holding the blob, on any store (a remote store copies it into its local cache first) */
  localFile(sha256: string): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('bad metadata digest');
    return this.blobs.localFile(sha256);
  }
  has(sha256: string): Promise<boolean> { return this.blobs.has(sha256); }
  async read(sha256: string): Promise<Buffer> { return readFile(await this.localFile(sha256)); }

  async readRoots(): Promise<RootDoc[]> { return ((await this.state.read('roots')) as { roots?: RootDoc[] } | null)?.roots ?? []; }
  writeRoots(roots: RootDoc[]): Promise<void> { return this.state.write('roots', { version: 1, roots }); }
  async readGenerations(rid: string): Promise<RootGenerations | null> {
    const d = (await this.state.read(`gen-${rid}`)) as RootGenerations | null;
    return d && Array.isArray(d.manifests) ? d : null;
  }
  writeGenerations(rid: string, doc: RootGenerations): Promise<void> { return this.state.write(`gen-${rid}`, doc); }
  dropRoot(rid: string): Promise<void> { return this.state.write(`gen-${rid}`, null); }

  /** keep exactly the blobs these manifests name (plus those committed in the last hour) */
  hold(manifests: Iterable<Manifest>): void {
    const keep = new Set<string>();
    for (const m of manifests) for (const d of blobsOf(m)) keep.add(d);
    const now = Date.now();
    for (const [d, at] of this.pending) { if (now - at > PENDING_MS) this.pending.delete(d); else keep.add(d); }
    this.blobs.hold(keep);
  }

  /**
   * Stream a body into the store, hashing as it goes; with pins, size and every strong digest must match
   * before the bytes are committed (nothing is stored otherwise).
   */
  async receive(body: Readable, o: { pins?: Pins; max: number; headers?: Record<string, string> }): Promise<FileRec> {
    const tmp = this.blobs.tempPath();
    const h256 = createHash('sha256'), h512 = createHash('sha512');
    const extra = (o.pins ? verifyingAlgs(o.pins) : []).filter((a) => a !== 'sha256' && a !== 'sha512').map((a) => ({ a, h: createHash(a) }));
    let size = 0;
    const ws = createWriteStream(tmp);
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > o.max || (o.pins && size > o.pins.size)) throw new RepoError(size > o.max ? 'E_TOO_LARGE' : 'E_MISMATCH', size > o.max ? `larger than max_metadata_file_size (${o.max} bytes)` : `longer than the ${o.pins!.size} bytes the primary pins`);
        h256.update(chunk); h512.update(chunk);
        for (const x of extra) x.h.update(chunk);
        if (!ws.write(chunk)) await new Promise<void>((r) => ws.once('drain', () => r()));
      }
      await new Promise<void>((res, rej) => ws.end((e?: Error | null) => (e ? rej(e) : res())));
      const sha256 = h256.digest('hex'), sha512 = h512.digest('hex');
      const hashes: FileRec['hashes'] = { sha256, sha512 };
      for (const x of extra) hashes[x.a] = x.h.digest('hex');
      const p = o.pins;
      const algs = p ? verifyingAlgs(p) : [];
      if (p && (p.size !== size || algs.some((a) => p[a] !== hashes[a]))) {
        const a = algs.find((x) => p[x] !== hashes[x]) ?? algs[0] ?? 'sha256';
        throw new RepoError('E_MISMATCH', `got ${size} bytes with ${a} ${(hashes[a] ?? '').slice(0, 16)}…, the primary pins ${p.size} bytes ${(p[a] ?? '').slice(0, 16)}…`);
      }
      await this.commit(tmp, sha256);
      const rec: FileRec = { sha256, size, hashes };
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

  /** a file written by the instance (a package index) into the store; returns its sha256 */
  async commitFile(file: string): Promise<string> {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) h.update(chunk);
    const sha256 = h.digest('hex');
    await this.commit(file, sha256);
    return sha256;
  }

  /** a fresh temp path for a file the instance writes itself */
  tempPath(): string { return this.blobs.tempPath(); }

  private async commit(tmp: string, sha256: string): Promise<void> {
    const fh = await open(tmp, 'r+');
    try { await fh.sync(); } finally { await fh.close(); }
    this.pending.set(sha256, Date.now());
    await this.blobs.commit(tmp, sha256);
  }
}
