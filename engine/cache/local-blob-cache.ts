// A node's first-level copy of blobs that live in a remote store: files under <dir>/<xx>/<sha256 hex>, bounded
// in bytes, least recently used first out. A file a reader has opened stays readable after its eviction (unlink).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const HEX64 = /^[0-9a-f]{64}$/;

export class LocalBlobCache {
  /** insertion order = use order: the first key is the least recently used */
  private files = new Map<string, number>();
  private total = 0;
  /** resolves once the files already on disk are known */
  readonly ready: Promise<void>;

  constructor(private dir: string, private maxBytes: number, private tempPath: (suffix: string) => string) {
    this.ready = this.scan();
  }

  get bytes(): number { return this.total; }
  get count(): number { return this.files.size; }
  has(hex: string): boolean { return this.files.has(hex); }
  sizeOf(hex: string): number | undefined { return this.files.get(hex); }

  path(hex: string): string {
    if (!HEX64.test(hex)) throw new Error(`bad blob digest ${hex.slice(0, 80)}`);
    return join(this.dir, hex.slice(0, 2), hex);
  }

  /** the cached file opened for reading (and marked used), or undefined */
  async openFile(hex: string): Promise<FileHandle | undefined> {
    if (!this.files.has(hex)) return undefined;
    try {
      const fh = await open(this.path(hex), 'r');
      this.used(hex);
      return fh;
    } catch {
      this.forget(hex);
      return undefined;
    }
  }

  /** move a complete, verified file (same file system) into the cache as `hex` */
  async adopt(file: string, hex: string, size: number): Promise<void> {
    const target = this.path(hex);
    await mkdir(join(this.dir, hex.slice(0, 2)), { recursive: true });
    await chmod(file, 0o444).catch(() => undefined);
    await rename(file, target);
    this.add(hex, size);
  }

  /**
   * Pass `src` (the whole blob `hex`) through to the reader and keep a copy: the copy joins the cache only when
   * every byte arrived and its sha256 is `hex`. A reader that stops early leaves nothing behind.
   */
  tee(src: Readable, hex: string): Readable {
    const out = new PassThrough({ highWaterMark: 256 * 1024 });
    const temp = this.tempPath('.lc');
    const file = createWriteStream(temp, { mode: 0o644 });
    const h = createHash('sha256');
    let size = 0;
    let failed = false;
    const drop = () => { if (failed) return; failed = true; file.destroy(); void unlink(temp).catch(() => undefined); };
    file.on('error', drop);
    src.on('data', (c: Buffer) => { h.update(c); size += c.length; if (!failed) file.write(c); });
    src.on('error', (e) => { drop(); out.destroy(e); });
    src.on('end', () => {
      if (failed) return;
      file.end(() => {
        if (h.digest('hex') !== hex) { drop(); return; }
        void this.adopt(temp, hex, size).catch(drop);
      });
    });
    out.on('close', () => { if (!src.readableEnded) { drop(); src.destroy(); } });
    src.pipe(out);
    return out;
  }

  /** write the whole blob `hex` from `src` into the cache; refused (and nothing kept) unless its sha256 is `hex` */
  async store(src: Readable, hex: string): Promise<void> {
    const temp = this.tempPath('.lc');
    const h = createHash('sha256');
    let size = 0;
    try {
      await pipeline(src, new Transform({ transform(c: Buffer, _e, done) { h.update(c); size += c.length; done(null, c); } }), createWriteStream(temp, { mode: 0o644 }));
      if (h.digest('hex') !== hex) throw new Error(`blob ${hex}: the store returned other bytes`);
      await this.adopt(temp, hex, size);
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      throw e;
    }
  }

  remove(hex: string): Promise<void> {
    this.forget(hex);
    return unlink(this.path(hex)).catch(() => undefined);
  }

  private add(hex: string, size: number): void {
    this.forget(hex);
    this.files.set(hex, size);
    this.total += size;
    this.evict(hex);
  }

  private used(hex: string): void {
    const size = this.files.get(hex);
    if (size === undefined) return;
    this.files.delete(hex);
    this.files.set(hex, size);
  }

  private forget(hex: string): void {
    const size = this.files.get(hex);
    if (size === undefined) return;
    this.files.delete(hex);
    this.total -= size;
  }

  /** least recently used files out until the bound holds (the one just added stays even if alone too large) */
  private evict(keep: string): void {
    for (const [hex] of this.files) {
      if (this.total <= this.maxBytes) return;
      if (hex === keep) continue;
      void this.remove(hex);
    }
  }

  private async scan(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const found: { hex: string; size: number; at: number }[] = [];
    for (const pre of await readdir(this.dir).catch(() => [] as string[])) {
      for (const name of await readdir(join(this.dir, pre)).catch(() => [] as string[])) {
        if (!HEX64.test(name)) continue;
        const st = await stat(join(this.dir, pre, name)).catch(() => null);
        if (st?.isFile()) found.push({ hex: name, size: st.size, at: st.atimeMs });
      }
    }
    // oldest access first, so the order of use survives a restart as well as atime allows
    for (const f of found.sort((a, b) => a.at - b.at)) if (!this.files.has(f.hex)) { this.files.set(f.hex, f.size); this.total += f.size; }
    if (found.length) this.evict('');
  }
}
