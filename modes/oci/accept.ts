// The manifest media types a client accepts, as a canonical class: keyed for tags (one binding per
// class) and forwarded upstream in place of the client's own header.
export const MANIFEST_TYPES = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.artifact.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);

/** recognised types (q-values and unknown types dropped, `*\/*` kept), sorted, joined; '' when none */
export function acceptClass(value: string | undefined): string {
  if (!value) return '';
  const types = new Set<string>();
  for (const part of value.split(',')) {
    const t = part.split(';')[0]!.trim().toLowerCase();
    if (MANIFEST_TYPES.has(t) || t === '*/*') types.add(t);
  }
  return [...types].sort().join(', ');
}

/** schema 1 (signed, deprecated) manifests are passed through uncached */
export const isSchema1 = (contentType: string | undefined) => /^application\/vnd\.docker\.distribution\.manifest\.v1\+(json|prettyjws)\b/.test(contentType ?? '');
