// The little of the wire protocol this mode reads itself: pkt-lines of an upload-pack request, to label
// it (v2 command) and log what it asked for, and the packets the isomorphic-git backend answers. Packfiles
// are git's or isomorphic-git's.

export const pktLine = (text: string) => `${(text.length + 4).toString(16).padStart(4, '0')}${text}`;

export interface UploadRequest { command?: string; wants: number; haves: number; done: boolean; deepen?: string; filter?: string }

export type Packet = { type: 'data'; line: string } | { type: 'flush' | 'delim' | 'end' };

/** the packets of a request body, flush (0000), delim (0001) and response-end (0002) included; stops at the first malformed length */
export function* packets(body: Buffer): Generator<Packet> {
  let at = 0;
  while (at + 4 <= body.length) {
    const len = Number.parseInt(body.toString('latin1', at, at + 4), 16);
    if (!Number.isFinite(len) || len === 3) return;
    if (len < 3) { yield { type: len === 0 ? 'flush' : len === 1 ? 'delim' : 'end' }; at += 4; continue; }
    if (at + len > body.length) return;
    yield { type: 'data', line: body.toString('utf8', at + 4, at + len).replace(/\n$/, '') };
    at += len;
  }
}

/** pkt-lines of a request body (flush, delim and response-end packets skipped) */
export function* pktLines(body: Buffer): Generator<string> {
  for (const p of packets(body)) if (p.type === 'data') yield p.line;
}

export function readUploadRequest(body: Buffer): UploadRequest {
  const r: UploadRequest = { wants: 0, haves: 0, done: false };
  for (const line of pktLines(body)) {
    if (line.startsWith('command=')) r.command = line.slice(8);
    else if (line.startsWith('want ')) r.wants++;
    else if (line.startsWith('have ')) r.haves++;
    else if (line === 'done') r.done = true;
    else if (/^deepen(-since|-not)? /.test(line)) r.deepen = line;
    else if (line.startsWith('filter ')) r.filter = line.slice(7);
  }
  return r;
}

/**
 * A v2 ls-refs response with each ref listed once. Served from a ref namespace, git 2.39's ls-refs lists the
 * namespace's HEAD twice (as HEAD and again while walking the namespace) when the client asks for every ref
 * or for `HEAD`; the second line goes. Every other packet is copied as it is.
 */
export function uniqueRefLines(out: Buffer): Buffer {
  const parts: Buffer[] = [];
  const seen = new Set<string>();
  let at = 0;
  while (at + 4 <= out.length) {
    const len = Number.parseInt(out.toString('latin1', at, at + 4), 16);
    if (!Number.isFinite(len) || len === 3 || at + Math.max(len, 4) > out.length) break;
    const size = len < 4 ? 4 : len;
    const name = len >= 4 ? out.toString('utf8', at + 4, at + len).split(/[ \n]/)[1] : undefined;
    if (!name || !seen.has(name)) parts.push(out.subarray(at, at + size));
    if (name) seen.add(name);
    at += size;
  }
  parts.push(out.subarray(at));
  return Buffer.concat(parts);
}
