// `s3://bucket/prefix` backends: where in which bucket a store lives.

export interface S3Location {
  bucket: string;
  /** the key prefix of every object, no leading or trailing slash ('' = the bucket's root) */
  prefix: string;
}

export const isS3Backend = (backend: string): boolean => /^s3:\/\//i.test(backend);

// bucket names as S3 defines them: 3-63 of [a-z0-9.-], starting and ending with a letter or digit, not an IP address
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9._-]+$/;

/** the bucket and prefix of `s3://bucket/prefix`, or the sentence saying what is wrong with it */
export function parseS3Backend(backend: string): S3Location | string {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(backend);
  if (!m) return 'must be s3://bucket/prefix';
  const bucket = m[1]!;
  if (!BUCKET.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    return `"${bucket}" is not a valid bucket name (3-63 characters: lowercase letters, digits, dots and hyphens)`;
  }
  const prefix = (m[2] ?? '').replace(/\/+$/, '');
  if (prefix && !prefix.split('/').every((s) => PREFIX_SEGMENT.test(s) && s !== '.' && s !== '..')) {
    return `prefix "${prefix}" may hold only letters, digits, ".", "_", "-" and single "/" between segments`;
  }
  return { bucket, prefix };
}

/** the object key of `rel` (no leading slash) under the location's prefix */
export function s3Key(loc: S3Location, rel: string): string {
  return loc.prefix ? `${loc.prefix}/${rel}` : rel;
}
