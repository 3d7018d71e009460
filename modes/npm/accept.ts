// The two Accept classes of package documents: abbreviated `install-v1` and `full`.

export const INSTALL_V1_TYPE = 'application/vnd.npm.install-v1+json';
/** canonical Accept values sent upstream, one per class */
export const INSTALL_V1 = `${INSTALL_V1_TYPE}; q=1.0, application/json; q=0.8, */*`;
export const FULL = 'application/json';

/** install-v1 when the client lists it with q > 0 and no JSON type with a higher q; else full */
export function acceptClass(header?: string): string {
  if (!header) return FULL;
  let abbreviated = -1;
  let json = -1;
  for (const part of header.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    const qp = params.find((p) => p.startsWith('q='));
    const q = qp ? Number(qp.slice(2)) : 1;
    if (!Number.isFinite(q)) continue;
    if (type === INSTALL_V1_TYPE) abbreviated = Math.max(abbreviated, q);
    else if (type === 'application/json') json = Math.max(json, q);
  }
  return abbreviated > 0 && json <= abbreviated ? INSTALL_V1 : FULL;
}
