// Per-generation package index: a sorted file (stored as a blob, named in the manifest) listing `path TAB size TAB alg:hex …`
// with a sparse in-memory index (every 64th line), so 100k entries cost tens of KiB of memory.
import { open, stat } from 'node:fs/promises';
import { writeAtomic } from './files.js';

export interface PackageEntry {
  path: string; size: number; sha256?: string; sha512?: string; sha384?: string; sha224?: string; sha1?: string; md5?: string;
  /** a digest that is not of the whole file, read only by the format's checkArtifact (apk: SHA-1 of the control segment) */
  check?: string;
}
const ALGS = ['sha512', 'sha256', 'sha384', 'sha224', 'sha1', 'md5', 'check'] as const;
const EVERY = 64;

function line(e: PackageEntry): string {
  return [e.path, String(e.size), ...ALGS.filter((a) => e[a]).map((a) => `${a}:${e[a]}`)].join('\t');
}

function parse(l: string): PackageEntry {
  const [path, size, ...rest] = l.split('\t');
  const e: PackageEntry = { path: path!, size: Number(size) };
  for (const r of rest) { const i = r.indexOf(':'); e[r.slice(0, i) as 'sha256'] = r.slice(i + 1); }
  return e;
}

const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** write a sorted index (duplicates by path: first one kept); returns its entry count */
export async function writePackageIndex(file: string, entries: Iterable<PackageEntry>): Promise<number> {
  const seen = new Map<string, PackageEntry>();
  for (const e of entries) if (!seen.has(e.path) && !/[\t\n]/.test(e.path)) seen.set(e.path, e);
  const sorted = [...seen.values()].sort((a, b) => byPath(a.path, b.path));
  await writeAtomic(file, sorted.map((e) => line(e) + '\n').join(''));
  return sorted.length;
}

export class PackageIndex {
  private constructor(readonly file: string, private keys: string[], private offsets: number[], private size: number, readonly count: number) {}

  /** load the sparse index of a written file (one sequential read) */
  static async open(file: string): Promise<PackageIndex> {
    const keys: string[] = [], offsets: number[] = [];
    const fh = await open(file, 'r');
    let count = 0;
    try {
      const size = (await fh.stat()).size;
      let pos = 0, carry = Buffer.alloc(0), lineStart = 0;
      const buf = Buffer.allocUnsafe(256 * 1024);
      while (pos < size) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        const chunk = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
        const chunkStart = pos - carry.length;
        let from = 0;
        for (;;) {
          const nl = chunk.indexOf(10, from);
          if (nl < 0) break;
          if (count % EVERY === 0) { keys.push(chunk.subarray(from, chunk.indexOf(9, from)).toString('utf8')); offsets.push(lineStart); }
          count++;
          lineStart = chunkStart + nl + 1;
          from = nl + 1;
        }
        carry = Buffer.from(chunk.subarray(from));
        pos += bytesRead;
      }
      return new PackageIndex(file, keys, offsets, size, count);
    } finally { await fh.close(); }
  }

  async lookup(path: string): Promise<PackageEntry | undefined> {
    // greatest sparse key ≤ path
    let lo = 0, hi = this.keys.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (byPath(this.keys[mid]!, path) <= 0) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (at < 0) return undefined;
    const start = this.offsets[at]!, end = at + 1 < this.offsets.length ? this.offsets[at + 1]! : this.size;
    const fh = await open(this.file, 'r');
    try {
      const buf = Buffer.allocUnsafe(end - start);
      await fh.read(buf, 0, buf.length, start);
      for (const l of buf.toString('utf8').split('\n')) {
        if (!l) continue;
        const tab = l.indexOf('\t');
        const p = l.slice(0, tab);
        if (p === path) return parse(l);
        if (p > path) return undefined;
      }
    } finally { await fh.close(); }
    return undefined;
  }

  /** every entry in path order (streamed block by block) */
  async *entries(): AsyncIterable<PackageEntry> {
    for (let i = 0; i < this.offsets.length; i++) {
      const start = this.offsets[i]!, end = i + 1 < this.offsets.length ? this.offsets[i + 1]! : this.size;
      const fh = await open(this.file, 'r');
      try {
        const buf = Buffer.allocUnsafe(end - start);
        await fh.read(buf, 0, buf.length, start);
        for (const l of buf.toString('utf8').split('\n')) if (l) yield parse(l);
      } finally { await fh.close(); }
    }
  }

  static async exists(file: string): Promise<boolean> { return stat(file).then(() => true, () => false); }
}
