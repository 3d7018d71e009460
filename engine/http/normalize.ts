// Request-target normalisation. Runs before routing; request paths never
// become filesystem paths, this only guarantees a clean segment list.

export class BadRequest extends Error {
  constructor(public status: number, message: string) { super(message); }
}

export interface NormalisedTarget {
  segments: string[]; // decoded
  path: string; // '/' + segments joined (decoded)
  rawSegments: string[]; // as received, for re-encoding upstream
  trailingSlash: boolean;
  query: string; // without '?'
  /** literal "." segments dropped (only with dropDotSegments) */
  dotSegments?: number;
}

const MAX_PATH_BYTES = 4096;
const MAX_SEGMENTS = 256;

export function normaliseTarget(target: string, method: string, o: { dropDotSegments?: boolean } = {}): NormalisedTarget {
  if (method === 'CONNECT') throw new BadRequest(405, 'CONNECT is not supported: this is not a forward proxy');
  if (target === '*') throw new BadRequest(400, 'asterisk-form target is not supported');
  if (!target.startsWith('/')) throw new BadRequest(400, 'only origin-form request targets are accepted');
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c <= 0x1f || c >= 0x7f) throw new BadRequest(400, 'control or non-ASCII byte in the request target');
    if (c === 0x5c) throw new BadRequest(400, 'backslash is not allowed in the path');
    if (c === 0x23) throw new BadRequest(400, '"#" is not allowed in the request target');
  }
  const segments: string[] = [];
  const rawSegments: string[] = [];
  let dots = 0;
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue;
    if (raw === '.' && o.dropDotSegments) { dots++; continue; }
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      throw new BadRequest(400, `bad percent-encoding in path segment "${raw.slice(0, 64)}"`);
    }
    if (/%(2e|2f|5c|00)/i.test(decoded)) throw new BadRequest(400, 'double-encoded characters are not allowed in the path');
    // a decoded '/' (%2F) becomes a separator
    const parts = decoded.split('/');
    const rawParts = parts.length > 1 ? parts.map((p) => encodeURIComponent(p)) : [raw];
    for (const [i, p] of parts.entries()) {
      if (p === '') continue;
      if (p === '.' || p === '..') throw new BadRequest(400, `path segment "${p}" is not allowed`);
      if (/[\\\u0000-\u001f\u007f]/.test(p)) throw new BadRequest(400, 'backslash, NUL or control character in the path');
      segments.push(p);
      rawSegments.push(rawParts[i]!);
    }
  }
  const path = '/' + segments.join('/');
  if (Buffer.byteLength(path) > MAX_PATH_BYTES || segments.length > MAX_SEGMENTS) throw new BadRequest(414, 'path too long');
  return { segments, path, rawSegments, trailingSlash: rawPath.length > 1 && rawPath.endsWith('/'), query, ...(dots ? { dotSegments: dots } : {}) };
}

// Targets repeat (a cache serves the same URLs over and over): successful normalisations are remembered.
const MEMO_MAX = 10_000;
const memo = new Map<string, NormalisedTarget>();

/** normaliseTarget, memoised for origin-form targets; the result is shared and frozen */
export function normaliseTargetMemo(target: string, method: string, o: { dropDotSegments?: boolean } = {}): NormalisedTarget {
  if (method === 'CONNECT') return normaliseTarget(target, method, o);
  const key = o.dropDotSegments ? `.${target}` : target;
  let t = memo.get(key);
  if (!t) {
    const n = normaliseTarget(target, method, o);
    t = Object.freeze({ ...n, segments: Object.freeze(n.segments) as string[], rawSegments: Object.freeze(n.rawSegments) as string[] });
    if (memo.size >= MEMO_MAX) memo.delete(memo.keys().next().value!);
    memo.set(key, t);
  }
  return t;
}
