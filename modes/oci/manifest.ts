// Manifest checks before anything is stored (size, media type, JSON shape) and the tag → digest binding.
import type { Match, BindTarget, CheckInput, Digests, VerifyInput, VerifyResult } from '../../engine/mode.js';
import { parseSize } from '../../engine/config/values.js';
import { isSchema1 } from './accept.js';
import { parseDigest, parsed, digestKey, upstreamUrls, type Digest } from './names.js';

const expectation = (d: Digest | null | undefined): Digests | null => (d?.verifiable ? { [d.alg]: d.hex } : null);

/** blobs and manifests by digest: the bytes must hash to the digest in the URL */
export const verifyByUrl = async ({ match }: VerifyInput): Promise<VerifyResult> => {
  const p = parsed(match, match.config);
  return p?.ok ? expectation(p.digest) : null;
};

/** manifests by tag: when the upstream names a sha256/sha512 Docker-Content-Digest, the bytes must hash to it */
export const verifyByHeader = async ({ headers }: VerifyInput): Promise<VerifyResult> => expectation(parseDigest(headers?.['docker-content-digest']));

/** tag → manifest by digest: the upstream's Docker-Content-Digest, else (after a GET) the bytes' sha256 */
export function tagTarget(m: Match, headers: Record<string, string>, digests?: Record<string, string>): BindTarget | null {
  const p = parsed(m, m.config);
  if (!p?.ok) return null;
  let d = parseDigest(headers['docker-content-digest']);
  if (!d?.verifiable) d = digests?.sha256 ? parseDigest(`sha256:${digests.sha256}`) : null;
  if (!d) return null;
  return { kind: 'manifest', key: digestKey('manifests', d), upstream: upstreamUrls(p.reg, p.repo, `manifests/${d.text}`, true), verify: expectation(d)! };
}

/** schema 1 passes through uncached; anything larger than max_manifest_size is refused */
export function admitManifest(head: { headers: Record<string, string>; size?: number }, m: Match): 'store' | 'pass' | { reject: string } {
  const max = parseSize(m.config.max_manifest_size as string | number);
  if (head.size !== undefined && head.size > max) return { reject: `manifest of ${head.size} bytes exceeds max_manifest_size (${max} bytes); nothing was cached` };
  return isSchema1(head.headers['content-type']) ? 'pass' : 'store';
}

/** manifests are read whole to be checked: larger ones fail the check */
const MAX_CHECKED = 64 * 1024 * 1024;

/** the check of a completed manifest (see checkManifest) */
export async function checkManifestFile({ open, size, headers }: CheckInput): Promise<string | null> {
  if (size > MAX_CHECKED) return `body of ${size} bytes too large to check`;
  const parts: Buffer[] = [];
  for await (const c of open() as AsyncIterable<Buffer>) parts.push(c);
  return checkManifest(Buffer.concat(parts), headers);
}

/** JSON with schemaVersion 2 and, when present, a mediaType equal to Content-Type */
export function checkManifest(body: Buffer, headers: Record<string, string>): string | null {
  let doc: unknown;
  try { doc = JSON.parse(body.toString('utf8')); } catch { return 'manifest is not JSON'; }
  if (!doc || typeof doc !== 'object') return 'manifest is not a JSON object';
  const { schemaVersion, mediaType } = doc as { schemaVersion?: unknown; mediaType?: unknown };
  if (schemaVersion !== 2) return `manifest schemaVersion is ${JSON.stringify(schemaVersion)}, not 2`;
  const ct = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (typeof mediaType === 'string' && mediaType.toLowerCase() !== ct) return `manifest mediaType ${mediaType} differs from Content-Type ${ct || '(none)'}`;
  return null;
}
