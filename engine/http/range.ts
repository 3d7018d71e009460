// Byte ranges and client conditionals (RFC 9110).
import type { IncomingHttpHeaders } from 'node:http';
import { notModified } from './respond.js';

export type RangeResult =
  | { type: 'none' }
  | { type: 'unsatisfiable' }
  | { type: 'ranges'; ranges: { start: number; end: number }[] }; // inclusive end

const MAX_RANGES = 16;

/** size = total length when known; for a suffix range with unknown size, caller must wait. */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { type: 'none' };
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return { type: 'none' };
  const specs = m[1]!.split(',').map((s) => s.trim()).filter(Boolean);
  if (specs.length === 0 || specs.length > MAX_RANGES) return { type: 'none' };
  const ranges: { start: number; end: number }[] = [];
  let satisfiable = false;
  for (const spec of specs) {
    const r = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
    if (!r || (r[1] === '' && r[2] === '')) return { type: 'none' };
    if (r[1] === '') {
      const n = Number(r[2]);
      if (n === 0) continue;
      ranges.push({ start: Math.max(0, size - n), end: size - 1 });
      satisfiable = satisfiable || size > 0;
    } else {
      const start = Number(r[1]);
      const end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1);
      if (r[2] !== '' && Number(r[2]) < start) return { type: 'none' };
      if (start >= size) continue;
      ranges.push({ start, end });
      satisfiable = true;
    }
  }
  if (!satisfiable || ranges.length === 0) return { type: 'unsatisfiable' };
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.start <= sorted[i - 1]!.end) return { type: 'none' }; // overlapping → full
  return { type: 'ranges', ranges };
}

/** If-Range: strong ETag or HTTP date must match for the range to apply. */
export function ifRangeAllows(ifRange: string | undefined, etag: string | undefined, lastModified: string | undefined): boolean {
  if (!ifRange) return true;
  const v = ifRange.trim();
  if (v.startsWith('"')) return !!etag && !etag.startsWith('W/') && etag === v;
  if (v.startsWith('W/')) return false;
  if (!lastModified) return false;
  const a = Date.parse(v), b = Date.parse(lastModified);
  return Number.isFinite(a) && Number.isFinite(b) && a === b;
}

/** what to send of a representation, given the client's conditionals and Range */
export type RangePlan =
  | { type: 'not-modified' }
  | { type: 'unsatisfiable' }
  | { type: 'whole' }
  | { type: 'part'; start: number; end: number }
  | { type: 'parts'; ranges: { start: number; end: number }[] };

export interface Representation {
  /** unknown (a body still arriving): Range does not apply */
  size?: number;
  etag?: string;
  lastModified?: string;
  /** false: the body is made per response (rewritten, derived), so any If-Range sends it whole */
  stableValidators?: boolean;
}

/**
 * The one conditional and Range routine of every answer: If-None-Match / If-Modified-Since first (304), then
 * If-Range against the representation's validators, then the Range header against its size.
 */
export function planRange(headers: IncomingHttpHeaders, rep: Representation): RangePlan {
  if (notModified(headers, rep.etag, rep.lastModified)) return { type: 'not-modified' };
  if (rep.size === undefined) return { type: 'whole' };
  const ifRange = headers['if-range'] as string | undefined;
  const allowed = rep.stableValidators === false ? !ifRange : ifRangeAllows(ifRange, rep.etag, rep.lastModified);
  const r = allowed ? parseRange(headers.range, rep.size) : { type: 'none' as const };
  if (r.type === 'none') return { type: 'whole' };
  if (r.type === 'unsatisfiable') return r;
  return r.ranges.length === 1 ? { type: 'part', ...r.ranges[0]! } : { type: 'parts', ranges: r.ranges };
}
