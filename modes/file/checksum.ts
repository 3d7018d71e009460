// Checksum sources for file mode (the `checksum` rule field): a sidecar file or a sums list, read through the same instance.
import type { VerifyInput, VerifyResult } from '../../engine/mode.js';

const ALGO_BY_LENGTH: Record<number, 'sha256' | 'sha512' | 'sha1'> = { 64: 'sha256', 128: 'sha512', 40: 'sha1' };

export function parseSums(text: string, fileName: string): { algo: 'sha256' | 'sha512' | 'sha1'; hex: string } | null {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const bsd = /^(SHA256|SHA512|SHA1)\s*\((.+)\)\s*=\s*([0-9a-fA-F]+)$/.exec(line);
    if (bsd) {
      if (baseName(bsd[2]!) === fileName) return { algo: bsd[1]!.toLowerCase() as 'sha256', hex: bsd[3]!.toLowerCase() };
      continue;
    }
    const gnu = /^([0-9a-fA-F]+)\s+\*?(.+)$/.exec(line);
    if (gnu && baseName(gnu[2]!.trim()) === fileName) {
      const algo = ALGO_BY_LENGTH[gnu[1]!.length];
      if (algo) return { algo, hex: gnu[1]!.toLowerCase() };
    }
  }
  return null;
}

const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

export async function checksumFor({ match, ctx, rule }: VerifyInput): Promise<VerifyResult> {
  const source = rule.checksum;
  if (typeof source !== 'string' || !source) return null;
  const path = match.path;
  const required = rule.checksum_required === true;
  let sourcePath: string;
  let parse: (text: string) => { algo: 'sha256' | 'sha512' | 'sha1'; hex: string } | null;
  if (source.startsWith('sidecar:')) {
    const suffix = source.slice('sidecar:'.length);
    if (path.endsWith(suffix)) return null; // the checksum source itself is never checked (no recursion)
    sourcePath = path + suffix;
    parse = (text) => {
      const hex = text.trim().split(/\s+/)[0] ?? '';
      const algo = ALGO_BY_LENGTH[hex.length];
      return algo && /^[0-9a-fA-F]+$/.test(hex) ? { algo, hex: hex.toLowerCase() } : null;
    };
  } else if (source.startsWith('sums:')) {
    const name = source.slice('sums:'.length);
    if (baseName(path) === name) return null;
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
    sourcePath = dir + name;
    parse = (text) => parseSums(text, baseName(path));
  } else {
    return null;
  }
  const got = await ctx.fetchThrough(sourcePath);
  const parsed = got && got.status === 200 ? parse(got.body.toString('utf8')) : null;
  if (!parsed) {
    ctx.log.warn('checksum source missing or unparsable; serving unverified', { instance: ctx.instance, key: path, source: sourcePath });
    if (required) throw Object.assign(new Error(`checksum source ${sourcePath} unavailable`), { code: 'E_CHECKSUM_REQUIRED' });
    return null;
  }
  if (parsed.algo === 'sha1') ctx.log.warn('sha1 checksum is weak', { instance: ctx.instance, key: path });
  return { [parsed.algo]: parsed.hex, source: sourcePath };
}
