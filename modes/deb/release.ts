// Release / InRelease: the hash sections pin every listed file; InRelease's
// signed text must equal Release byte for byte (dash-escaping undone). Signatures are left to apt.
import { parseStanzas } from './stanza.js';
import { RepoError, type Pins, type ParsedPrimary, type HashAlg } from '../linux-repo/format.js';
import { HEX_LENGTH } from '../shared/hex-digest.js';

const SECTIONS: Record<string, HashAlg> = { md5sum: 'md5', sha1: 'sha1', sha256: 'sha256', sha512: 'sha512' };

/** the signed text of an OpenPGP clearsigned message (dash-escaping undone), or null if it is not one */
export function clearsignedText(inrelease: string): string | null {
  const ls = inrelease.split('\n').map((l) => l.replace(/\r$/, ''));
  const start = ls.findIndex((l) => l === '-----BEGIN PGP SIGNED MESSAGE-----');
  if (start < 0) return null;
  let i = start + 1;
  while (i < ls.length && ls[i] !== '') i++; // armor headers (Hash: …) up to the blank line
  const end = ls.findIndex((l, j) => j > i && l === '-----BEGIN PGP SIGNATURE-----');
  if (end < 0) return null;
  const body = ls.slice(i + 1, end).map((l) => (l.startsWith('- ') ? l.slice(2) : l));
  return body.join('\n') + '\n'; // the line break before the signature armor belongs to the armor
}

const trimLines = (t: string) => t.split('\n').map((l) => l.replace(/[ \t\r]+$/, '')).join('\n').replace(/\n+$/, '');

/** InRelease text equals Release (trailing whitespace per line is not signed, so it does not count) */
export function sameRelease(signedText: string, release: string): boolean {
  return signedText === release || trimLines(signedText) === trimLines(release);
}

export async function parseRelease(text: string): Promise<Omit<ParsedPrimary, 'warnings'> & { warnings: string[] }> {
  const st = await parseStanzas(text).catch((e: Error) => { throw new RepoError('E_INVALID', `Release does not parse: ${e.message}`); });
  const s = st[0];
  if (!s) throw new RepoError('E_INVALID', 'Release is empty');
  const listed = new Map<string, Pins>();
  let strong = false;
  for (const [field, alg] of Object.entries(SECTIONS)) {
    const v = s.get(field);
    if (v === undefined) continue;
    if (alg === 'sha256' || alg === 'sha512') strong = true;
    for (const raw of v.split('\n')) {
      const l = raw.trim();
      if (!l) continue;
      const m = /^([0-9a-fA-F]+)\s+(\d+)\s+(\S+)$/.exec(l);
      if (!m || m[1]!.length !== HEX_LENGTH[alg]) throw new RepoError('E_INVALID', `bad ${field} line in Release: "${l.slice(0, 80)}"`);
      const name = m[3]!;
      if (name.startsWith('/') || name.split('/').some((x) => x === '..' || x === '.')) throw new RepoError('E_INVALID', `Release lists a path outside its root: ${name.slice(0, 80)}`);
      const pins = listed.get(name) ?? { size: Number(m[2]) };
      if (pins.size !== Number(m[2])) throw new RepoError('E_INVALID', `Release gives two sizes for ${name}`);
      pins[alg] = m[1]!.toLowerCase();
      listed.set(name, pins);
    }
  }
  if (!strong) throw new RepoError('E_INVALID', 'Release has no SHA256 or SHA512 section (apt refuses it)');
  const attrs: Record<string, string> = {};
  for (const k of ['origin', 'label', 'suite', 'codename', 'version', 'date', 'valid-until', 'components', 'architectures']) if (s.has(k)) attrs[k] = s.get(k)!;
  const date = attrs.date ? Date.parse(attrs.date) : NaN;
  if (/^yes$/i.test(s.get('acquire-by-hash') ?? '')) attrs['acquire-by-hash'] = 'yes';
  return { listed, attrs, date: Number.isFinite(date) ? date : undefined, warnings: [] };
}

/**
 * The primary trio → pins. InRelease is preferred; with both present their texts must agree (a mirror
 * caught between the two writes is torn); `acceptTorn` makes InRelease authoritative with a warning.
 */
export async function parseDebPrimary(inrelease: Buffer | null, release: Buffer | null, acceptTorn: boolean): Promise<ParsedPrimary> {
  if (!inrelease && !release) throw new RepoError('E_NOT_FOUND', 'neither InRelease nor Release exists upstream');
  let text: string;
  const warnings: string[] = [];
  if (inrelease) {
    const signed = clearsignedText(inrelease.toString('utf8'));
    if (signed === null) throw new RepoError('E_INVALID', 'InRelease is not a clearsigned message');
    if (release && !sameRelease(signed, release.toString('utf8'))) {
      if (!acceptTorn) throw new RepoError('E_TORN', 'InRelease and Release differ (mirror in the middle of an update)');
      warnings.push('InRelease and Release kept differing over several refreshes; InRelease is authoritative');
    }
    text = signed;
  } else {
    text = release!.toString('utf8');
  }
  const parsed = await parseRelease(text);
  return { ...parsed, warnings };
}
