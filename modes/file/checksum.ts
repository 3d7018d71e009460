// Checksum sources for file mode (the `checksum` rule field): a sidecar file or a sums list, read through the same instance.
import type { VerifyInput, VerifyResult } from '../../engine/mode.js';
import { baseName, parseSidecar, parseSums, readChecksumFile, type SidecarDigest } from '../shared/checksum-sidecar.js';

export { parseSums };

export async function checksumFor({ match, ctx, rule }: VerifyInput): Promise<VerifyResult> {
  const source = rule.checksum;
  if (typeof source !== 'string' || !source) return null;
  const path = match.path;
  const required = rule.checksum_required === true;
  let sourcePath: string;
  let parse: (text: string) => SidecarDigest | null;
  if (source.startsWith('sidecar:')) {
    const suffix = source.slice('sidecar:'.length);
    if (path.endsWith(suffix)) return null; // the checksum source itself is never checked (no recursion)
    sourcePath = path + suffix;
    parse = (text) => parseSidecar(text);
  } else if (source.startsWith('sums:')) {
    const name = source.slice('sums:'.length);
    if (baseName(path) === name) return null;
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
    sourcePath = dir + name;
    parse = (text) => parseSums(text, baseName(path));
  } else {
    return null;
  }
  const text = await readChecksumFile(ctx, sourcePath);
  const parsed = text === null ? null : parse(text);
  if (!parsed) {
    ctx.log.warn('checksum source missing or unparsable; serving unverified', { instance: ctx.instance, key: path, source: sourcePath });
    if (required) throw Object.assign(new Error(`checksum source ${sourcePath} unavailable`), { code: 'E_CHECKSUM_REQUIRED' });
    return null;
  }
  if (parsed.algo === 'sha1') ctx.log.warn('sha1 checksum is weak', { instance: ctx.instance, key: path });
  return { [parsed.algo]: parsed.hex, source: sourcePath };
}
