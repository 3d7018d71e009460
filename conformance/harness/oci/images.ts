// OCI fixtures for the real-client tests: image layouts built by conformance/fixtures/oci/image.sh,
// pushed into a distribution registry with skopeo; skopeo runs; path classes for the shim; store checks.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../launcher.js';

export interface Run { code: number; stdout: string; stderr: string; ms: number }

/** run a command without blocking the event loop (token services and shims live in this process) */
export function run(cmd: string, args: string[], timeoutMs = 120_000): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: performance.now() - t0 });
    });
  });
}

export async function must(cmd: string, args: string[], timeoutMs?: number): Promise<Run> {
  const r = await run(cmd, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

const IMAGE_SH = join(repoRoot, 'conformance/fixtures/oci/image.sh');

/** adds an image to an OCI layout; returns its manifest digest */
export async function buildImage(layout: string, tag: string, arch: string, seed: string, bigMiB = 0): Promise<string> {
  return (await must('bash', [IMAGE_SH, 'image', layout, tag, arch, seed, String(bigMiB)])).stdout.trim();
}

export async function buildIndex(layout: string, tag: string, a: string, b: string): Promise<string> {
  return (await must('bash', [IMAGE_SH, 'index', layout, tag, a, b])).stdout.trim();
}

/** skopeo copy (plain http on loopback, so TLS verification is off on both sides) */
export function skopeoCopy(src: string, dest: string, extra: string[] = []): Promise<Run> {
  return run('skopeo', ['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', ...extra, src, dest]);
}

export async function push(layout: string, tag: string, registryHost: string, ref: string, all = false): Promise<void> {
  await must('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--dest-creds', 'fixture:secret', ...(all ? ['--all'] : []), `oci:${layout}:${tag}`, `docker://${registryHost}/${ref}`]);
}

/** manifest (or index) JSON of a tag in a layout, and the blobs it names */
export function layoutManifest(layout: string, digest: string): { config?: { digest: string }; layers?: { digest: string; size: number }[]; manifests?: { digest: string }[] } {
  return JSON.parse(readFileSync(join(layout, 'blobs/sha256', digest.slice(7)), 'utf8'));
}

export function layoutBlobs(layout: string, manifestDigest: string): string[] {
  const m = layoutManifest(layout, manifestDigest);
  return [m.config!.digest, ...m.layers!.map((l) => l.digest)];
}

export const blobBytes = (layout: string, digest: string) => readFileSync(join(layout, 'blobs/sha256', digest.slice(7)));

/** the request classes the tests count at the shim */
export function ociClass(_method: string, path: string): string {
  if (path === '/v2/' || path === '/v2') return 'ping';
  if (/\/manifests\/[a-z0-9]+:/.test(path)) return 'manifest';
  if (/\/manifests\//.test(path)) return 'tag';
  if (/\/blobs\/uploads/.test(path)) return 'upload';
  if (/\/blobs\//.test(path)) return 'blob';
  if (/\/referrers\//.test(path)) return 'referrers';
  if (/\/tags\/list$/.test(path)) return 'tags';
  return 'other';
}

/** every stored blob of a backend: [digest, hashes-to-its-name] */
export function storedBlobs(backend: string): { digest: string; ok: boolean }[] {
  const root = join(backend, 'blobs/sha256');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((hh) => readdirSync(join(root, hh)).map((hex) => ({
    digest: `sha256:${hex}`, ok: createHash('sha256').update(readFileSync(join(root, hh, hex))).digest('hex') === hex,
  })));
}

export const hasBlob = (backend: string, digest: string) => existsSync(join(backend, 'blobs/sha256', digest.slice(7, 9), digest.slice(7)));

/** the file a distribution registry (filesystem driver) keeps a blob in */
export const registryBlobFile = (storage: string, digest: string) => join(storage, 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data');

/** the manifest types skopeo accepts (so a request with it shares skopeo's tag bindings) */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws',
].join(', ');
