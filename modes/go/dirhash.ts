// The go command's module hash "h1": one line "<sha256 hex>  <name>\n" per file, sorted by name (byte order),
// SHA-256 of those lines, base64, prefixed "h1:". go.sum and the checksum database hold it for every
// module zip and, over a single file named go.mod, for every .mod file.
import { createHash } from 'node:crypto';

export function hash1(files: ReadonlyMap<string, string>): string {
  const names = [...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const h = createHash('sha256');
  for (const name of names) {
    if (name.includes('\n')) throw new Error('file names with newlines cannot be hashed');
    h.update(`${files.get(name)}  ${name}\n`);
  }
  return `h1:${h.digest('base64')}`;
}

/** the h1 of a .mod file: the hash of a tree holding only go.mod */
export function hash1GoMod(content: Buffer): string {
  return hash1(new Map([['go.mod', createHash('sha256').update(content).digest('hex')]]));
}
