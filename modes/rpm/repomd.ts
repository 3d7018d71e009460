// repodata/repomd.xml: every <data> element pins one listed file (location href, size, checksum). Signatures
// (repomd.xml.asc) are left to the client.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { RepoError, type HashAlg, type ParsedPrimary, type Pins } from '../linux-repo/format.js';
import { HEX_LENGTH } from '../shared/hex-digest.js';

/** repomd/primary checksum type → the engine's digest name ('sha' is SHA-1 in old createrepo output) */
export const RPM_ALG: Record<string, HashAlg> = { sha256: 'sha256', sha512: 'sha512', sha384: 'sha384', sha224: 'sha224', sha1: 'sha1', sha: 'sha1', md5: 'md5' };

/** the manifest attribute naming the listed file of type `primary` (every generation stores it) */
export const PRIMARY_HREF = 'primary-href';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, parseAttributeValue: false, removeNSPrefix: true, isArray: (name) => name === 'data' });

type Node = Record<string, unknown>;
const textOf = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'object' && v !== null ? String((v as Node)['#text'] ?? '') : '').trim();

/** a root-relative href, or null when it leaves the root */
export function safeHref(href: string): string | null {
  if (!href || href.startsWith('/') || href.split('/').some((x) => x === '..' || x === '.')) return null;
  return href;
}

export function parseRepomd(bytes: Buffer): ParsedPrimary {
  const text = bytes.toString('utf8');
  if (XMLValidator.validate(text) !== true) throw new RepoError('E_INVALID', 'repomd.xml is not well-formed XML');
  const repomd = (parser.parse(text) as Node).repomd as Node | undefined;
  if (!repomd || typeof repomd !== 'object') throw new RepoError('E_INVALID', 'repomd.xml has no <repomd> element');
  const listed = new Map<string, Pins>();
  const attrs: Record<string, string> = {};
  const warnings: string[] = [];
  let newest = 0;
  for (const d of (repomd.data as Node[] | undefined) ?? []) {
    const type = String(d['@type'] ?? '');
    const loc = d.location as Node | undefined;
    const href = String(loc?.['@href'] ?? '');
    if (loc?.['@base'] !== undefined) { warnings.push(`${type}: xml:base points elsewhere, clients fetch ${href} from there`); continue; }
    const name = safeHref(href);
    if (!name) throw new RepoError('E_INVALID', `repomd.xml lists a path outside its root: ${href.slice(0, 80)}`);
    const size = textOf(d.size);
    if (!/^\d+$/.test(size)) throw new RepoError('E_INVALID', `repomd.xml gives no size for ${name}`);
    const ck = d.checksum as Node | undefined;
    const alg = RPM_ALG[String(ck?.['@type'] ?? '').toLowerCase()];
    const hex = textOf(ck).toLowerCase();
    if (!alg || hex.length !== HEX_LENGTH[alg] || !/^[0-9a-f]+$/.test(hex)) throw new RepoError('E_INVALID', `repomd.xml gives no usable checksum for ${name}`);
    listed.set(name, { size: Number(size), [alg]: hex });
    if (type === 'primary') attrs[PRIMARY_HREF] = name;
    const ts = Number(textOf(d.timestamp));
    if (Number.isFinite(ts) && ts > newest) newest = ts;
  }
  if (!attrs[PRIMARY_HREF]) throw new RepoError('E_INVALID', 'repomd.xml lists no primary');
  const revision = textOf(repomd.revision);
  if (revision) attrs.revision = revision;
  // createrepo stamps each data file with its creation time: the newest one orders states (rollback check)
  return { listed, attrs, date: newest ? newest * 1000 : undefined, warnings };
}
