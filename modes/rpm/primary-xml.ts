// primary.xml → package entries. The document is split on </package> so each package element is parsed on
// its own: memory stays bounded by the largest package element, not by the primary's size.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { XMLParser } from 'fast-xml-parser';
import type { PackageEntry } from '../linux-repo/package-index.js';
import { RPM_ALG, safeHref } from './repomd.js';

/** one package element larger than this is not a package (a malformed or hostile primary) */
const MAX_ELEMENT = 16 * 1024 * 1024;
const END = '</package>';
const START = /<package[\s>]/;

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, parseAttributeValue: false, removeNSPrefix: true });

type Node = Record<string, unknown>;

function entryOf(element: string, base: string): PackageEntry | null {
  const pkg = (parser.parse(element) as Node).package as Node | undefined;
  if (!pkg || typeof pkg !== 'object') return null;
  const loc = pkg.location as Node | undefined;
  if (!loc || loc['@base'] !== undefined) return null; // fetched by clients from elsewhere
  const href = safeHref(String(loc['@href'] ?? ''));
  const size = String((pkg.size as Node | undefined)?.['@package'] ?? '');
  if (!href || !/^\d+$/.test(size)) return null;
  const e: PackageEntry = { path: base ? `${base}/${href}` : href, size: Number(size) };
  const ck = pkg.checksum as Node | undefined;
  const alg = RPM_ALG[String(ck?.['@type'] ?? '').toLowerCase()];
  const hex = String(ck?.['#text'] ?? '').trim().toLowerCase();
  if (alg && /^[0-9a-f]+$/.test(hex)) e[alg] = hex;
  return e;
}

/** package entries of a decoded primary.xml; artifact paths are `base`-relative hrefs joined to `base` */
export async function* primaryEntries(body: Readable, base: string): AsyncIterable<PackageEntry> {
  const dec = new StringDecoder('utf8');
  let buf = '';
  const drain = function* (): Iterable<PackageEntry> {
    for (;;) {
      const end = buf.indexOf(END);
      if (end < 0) break;
      const start = buf.slice(0, end).search(START); // not `<packager>`, which is inside the element
      const element = start >= 0 ? buf.slice(start, end + END.length) : '';
      buf = buf.slice(end + END.length);
      const e = element ? entryOf(element, base) : null;
      if (e) yield e;
    }
    if (buf.length > MAX_ELEMENT) throw new Error(`a package element of primary.xml exceeds ${MAX_ELEMENT} bytes`);
  };
  for await (const chunk of body) {
    buf += typeof chunk === 'string' ? chunk : dec.write(chunk as Buffer);
    yield* drain();
  }
  buf += dec.end();
  yield* drain();
}
