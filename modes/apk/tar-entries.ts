import tar from 'tar-stream';
import { Readable } from 'node:stream';

/** every entry of a small tar held in memory (an apk segment: no end-of-archive blocks needed) */
export async function tarEntries(bytes: Buffer): Promise<{ name: string; data: Buffer }[]> {
  const extract = tar.extract();
  Readable.from([bytes]).pipe(extract);
  const out: { name: string; data: Buffer }[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
    out.push({ name: entry.header.name, data: Buffer.concat(chunks) });
  }
  return out;
}
