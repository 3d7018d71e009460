// Release and snapshot files are verified against the checksum sidecar the repository publishes beside them.
// The sidecar is fetched through this instance (stored under its own kind, so Maven's own request for it that
// follows is a HIT; a 404 is negatively cached) while the file streams; the file's tail waits for the verdict.
import type { HookContext, VerifyInput, VerifyResult } from '../../engine/mode.js';
import { parseSidecar, readChecksumFile, type SidecarAlgo } from '../shared/checksum-sidecar.js';
import { describedBy, kindOf } from './layout.js';
import { settings } from './settings.js';

export async function verifyBySidecar({ match, ctx }: VerifyInput): Promise<VerifyResult> {
  const path = match.path;
  if (describedBy(path) !== null) return null; // sidecars themselves (snapshot sidecars share their file's kind)
  const s = settings.of(ctx);
  for (const algo of s.checksumAlgorithms) {
    const sidecar = `${path}.${algo}`;
    const text = await readChecksumFile(ctx, sidecar);
    if (text === null) continue;
    const stated = parseSidecar(text, algo);
    if (!stated) {
      ctx.log.warn('sidecar states no usable digest', { instance: ctx.instance, key: path, source: sidecar });
      continue;
    }
    return {
      [algo]: stated.hex,
      source: sidecar,
      describe: (_a, expected, actual) => `checksum mismatch for ${path}: ${sidecar} says ${expected}, upstream sent ${actual}; nothing was cached`,
      onMismatch: (_a, actual) => reconsider(ctx, path, sidecar, algo, actual),
    };
  }
  ctx.log.warn('no usable checksum sidecar', { instance: ctx.instance, key: path, tried: s.checksumAlgorithms.join(',') });
  return s.checksumRequired ? { skip: true } : { skip: true, keep: true };
}

/**
 * The file contradicts its stored sidecar: the sidecar entry goes, so the next attempt fetches both anew. A
 * non-unique snapshot file may have been replaced upstream together with its sidecar: the sidecar is asked once
 * more, straight from upstream, and a new one that agrees with the file lets it pass.
 */
async function reconsider(ctx: HookContext, path: string, sidecar: string, algo: SidecarAlgo, actual: string): Promise<boolean> {
  await ctx.cache.delete(kindOf(sidecar), sidecar);
  if (kindOf(path) !== 'snapshot') return false;
  const r = await ctx.fetch({ path: sidecar.split('/').map(encodeURIComponent).join('/'), foreground: true });
  try {
    if (r.status !== 200) return false;
    const parts: Buffer[] = [];
    for await (const c of r.body as AsyncIterable<Buffer>) parts.push(c);
    return parseSidecar(Buffer.concat(parts).toString('utf8'), algo)?.hex === actual;
  } finally {
    r.release();
  }
}
