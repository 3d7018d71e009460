// How much a request's Accept header wants a Content-Type (RFC 9110 §12.5.1): the most specific matching
// media range gives the quality; no Accept header accepts anything.

/** quality 0..1 the Accept header gives `contentType` (its parameters ignored); 0 = not acceptable */
export function acceptQuality(accept: string | undefined, contentType: string): number {
  if (accept === undefined || accept.trim() === '') return 1;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const slash = type.indexOf('/');
  const major = slash > 0 ? type.slice(0, slash) : type;
  let best = -1;
  let q = 0;
  for (const part of accept.split(',')) {
    const [range, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!range) continue;
    const specificity = range === type ? 2 : range === `${major}/*` ? 1 : range === '*/*' ? 0 : -1;
    if (specificity < 0 || specificity < best) continue;
    const qp = params.find((p) => p.startsWith('q='));
    const value = qp ? Number(qp.slice(2)) : 1;
    if (!Number.isFinite(value)) continue;
    const clamped = Math.min(1, Math.max(0, value));
    q = specificity > best ? clamped : Math.max(q, clamped);
    best = specificity;
  }
  return best < 0 ? 0 : q;
}
