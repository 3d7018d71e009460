// Smart-HTTP answers of the isomorphic-git backend, from a published snapshot (its ref list) and the mirror's
// objects: the v0/v1 advertisement and upload-pack exchange (wants, shallow/deepen, haves with
// multi_ack_detailed, done, then the pack on side-band-64k), and v2 `ls-refs` and `fetch`. Framing follows
// what `git upload-pack --stateless-rpc` writes for the same requests. What this backend cannot do is
// answered with an ERR packet naming `backend: git`, never with a partial pack.
import type { RespondOutput } from '../../../engine/mode.js';
import type { RefMap } from '../refs.js';
import { packets, pktLine } from '../pkt-line.js';
import type { ObjectStore } from './isomorphic-objects.js';

/** the refs a snapshot advertises, with each annotated tag's peeled id */
export interface RefView { refs: RefMap; head?: string; peeled: RefMap }

export const ADVERTISEMENT = 'application/x-git-upload-pack-advertisement';
export const RESULT = 'application/x-git-upload-pack-result';
const FLUSH = '0000', DELIM = '0001';
const SIDEBAND_DATA = 65515;
const USE_GIT = 'use `backend: git` for this repository';

const headers = (type: string) => ({ 'content-type': type, 'cache-control': 'no-cache', 'x-cache': 'MIRROR' });
const ok = (type: string, body: Buffer): RespondOutput => ({ status: 200, headers: headers(type), body });

/** why a request cannot be served: an ERR packet (the git client prints it as `remote error: …`) */
class Refused extends Error {}

export interface ServeLimits { maxPackSize: number }

/** names sorted as git lists them (byte order) */
const sortedRefs = (v: RefView) => Object.keys(v.refs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export function advertiseV0(v: RefView, agent: string): Buffer {
  const caps = ['multi_ack_detailed', 'side-band-64k', 'ofs-delta', 'shallow', 'no-progress', 'include-tag',
    'allow-tip-sha1-in-want', 'allow-reachable-sha1-in-want', 'filter', ...(v.head ? [`symref=HEAD:${v.head}`] : []), 'object-format=sha1', `agent=${agent}`].join(' ');
  const lines: string[] = [];
  const add = (oid: string, name: string) => lines.push(lines.length ? `${oid} ${name}\n` : `${oid} ${name}\0${caps}\n`);
  if (v.head && v.refs[v.head]) add(v.refs[v.head]!, 'HEAD');
  for (const r of sortedRefs(v)) {
    add(v.refs[r]!, r);
    if (v.peeled[r]) add(v.peeled[r]!, `${r}^{}`);
  }
  if (!lines.length) lines.push(`${'0'.repeat(40)} capabilities^{}\0${caps}\n`);
  return Buffer.from(pktLine('# service=git-upload-pack\n') + FLUSH + lines.map(pktLine).join('') + FLUSH);
}

export function advertiseV2(agent: string): Buffer {
  return Buffer.from(['version 2', `agent=${agent}`, 'ls-refs=unborn', 'fetch=shallow filter', 'server-option', 'object-format=sha1']
    .map((l) => pktLine(`${l}\n`)).join('') + FLUSH);
}

export function lsRefs(v: RefView, body: Buffer): Buffer {
  const args = [...packets(body)].flatMap((p) => (p.type === 'data' ? [p.line] : []));
  const prefixes = args.filter((a) => a.startsWith('ref-prefix ')).map((a) => a.slice(11));
  const symrefs = args.includes('symrefs'), peel = args.includes('peel');
  const wanted = (name: string) => !prefixes.length || prefixes.some((p) => name.startsWith(p));
  const out: string[] = [];
  if (v.head && v.refs[v.head] && wanted('HEAD')) out.push(`${v.refs[v.head]} HEAD${symrefs ? ` symref-target:${v.head}` : ''}\n`);
  for (const r of sortedRefs(v)) {
    if (wanted(r)) out.push(`${v.refs[r]} ${r}${peel && v.peeled[r] ? ` peeled:${v.peeled[r]}` : ''}\n`);
  }
  return Buffer.from(out.map(pktLine).join('') + FLUSH);
}

interface FetchArgs {
  wants: string[]; haves: string[]; clientShallow: string[]; done: boolean;
  depth?: number; omitBlobs: boolean; includeTag: boolean; sideband: boolean;
}

/** a request's deepen/filter lines: what this backend supports, or Refused */
function readShape(line: string, a: FetchArgs): boolean {
  const [word, ...rest] = line.split(' ');
  const arg = rest.join(' ');
  switch (word) {
    case 'want': a.wants.push(arg.slice(0, 40)); return true;
    case 'shallow': a.clientShallow.push(arg); return true;
    case 'deepen': {
      const n = Number(arg);
      if (!Number.isInteger(n) || n < 1) throw new Refused(`invalid deepen "${arg}"`);
      // a depth below 2^31 is git's way of asking "everything" (--unshallow)
      if (n < 0x7fffffff) a.depth = n;
      return true;
    }
    case 'deepen-since': case 'deepen-not': case 'deepen-relative':
      throw new Refused(`${word} is not supported by backend: isomorphic-git; ${USE_GIT}`);
    case 'filter':
      if (arg !== 'blob:none') throw new Refused(`filter "${arg}" is not supported by backend: isomorphic-git (only blob:none); ${USE_GIT}`);
      a.omitBlobs = true; return true;
    default: return false;
  }
}

async function checkWants(a: FetchArgs, store: ObjectStore): Promise<void> {
  if (!a.wants.length) throw new Refused('no want lines');
  for (const w of a.wants) if (!(await store.has(w))) throw new Refused(`upload-pack: not our ref ${w}`);
  if (a.depth !== undefined && a.clientShallow.length) throw new Refused(`deepening a shallow clone is not supported by backend: isomorphic-git; ${USE_GIT}`);
}

/** the pack for these arguments on side-band-64k (or bare), or a 503 when it is over max_pack_size */
async function packFor(a: FetchArgs, store: ObjectStore, v: RefView, limits: ServeLimits): Promise<{ bytes: Buffer } | { tooLarge: RespondOutput }> {
  const tags = a.includeTag ? new Map(Object.entries(v.peeled).map(([r, peeled]) => [v.refs[r]!, peeled])) : undefined;
  const c = await store.closure({ wants: a.wants, haves: a.haves, clientShallow: a.clientShallow, depth: a.depth, omitBlobs: a.omitBlobs, includeTags: tags });
  const pack = await store.pack(c.oids);
  if (pack.length > limits.maxPackSize) {
    return { tooLarge: { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '3600' },
      body: `pack of ${pack.length} bytes is over max_pack_size (${limits.maxPackSize} bytes) of backend: isomorphic-git, which builds packs undeltified in memory; ${USE_GIT}\n` } };
  }
  if (!a.sideband) return { bytes: Buffer.from(pack) };
  const parts: Buffer[] = [];
  for (let at = 0; at < pack.length; at += SIDEBAND_DATA) {
    const chunk = pack.subarray(at, Math.min(pack.length, at + SIDEBAND_DATA));
    parts.push(Buffer.from((chunk.length + 5).toString(16).padStart(4, '0') + '\x01', 'latin1'), Buffer.from(chunk));
  }
  parts.push(Buffer.from(FLUSH));
  return { bytes: Buffer.concat(parts) };
}

async function shallowLines(a: FetchArgs, store: ObjectStore): Promise<string> {
  const c = await store.closure({ wants: a.wants, depth: a.depth, commitsOnly: true, clientShallow: a.clientShallow });
  return c.shallow.map((s) => pktLine(`shallow ${s}`)).join('');
}

const errPacket = (e: Refused) => Buffer.from(pktLine(`ERR ${e.message}\n`));

/** protocol v0/v1 POST: wants [+ shallow/deepen/filter] flush, then haves rounds, then done and the pack */
export async function exchangeV0(v: RefView, body: Buffer, store: ObjectStore, limits: ServeLimits): Promise<RespondOutput> {
  const a: FetchArgs = { wants: [], haves: [], clientShallow: [], done: false, omitBlobs: false, includeTag: false, sideband: false };
  const all = [...packets(body)];
  let i = 0;
  try {
    let caps: string[] = [];
    for (; i < all.length; i++) {
      const p = all[i]!;
      if (p.type !== 'data') { i++; break; }
      if (!caps.length && p.line.startsWith('want ')) caps = p.line.split(' ').slice(2);
      if (!readShape(p.line, a)) throw new Refused(`unexpected line "${p.line.slice(0, 60)}"`);
    }
    a.sideband = caps.includes('side-band-64k') || caps.includes('side-band');
    a.includeTag = caps.includes('include-tag');
    const detailed = caps.includes('multi_ack_detailed'), multi = detailed || caps.includes('multi_ack');
    await checkWants(a, store);
    let out = a.depth !== undefined ? (await shallowLines(a, store)) + FLUSH : '';
    let lastCommon: string | undefined;
    for (; i < all.length; i++) {
      const p = all[i]!;
      if (p.type === 'flush') {
        if (detailed && lastCommon) out += pktLine(`ACK ${lastCommon} ready\n`);
        if (!a.haves.length || multi) out += pktLine('NAK\n');
        continue;
      }
      if (p.type !== 'data') continue;
      if (p.line === 'done') { a.done = true; break; }
      if (!p.line.startsWith('have ')) throw new Refused(`unexpected line "${p.line.slice(0, 60)}"`);
      const h = p.line.slice(5, 45);
      if (!(await store.has(h))) continue;
      a.haves.push(h);
      lastCommon = h;
      if (detailed) out += pktLine(`ACK ${h} common\n`);
      else if (multi) out += pktLine(`ACK ${h} continue\n`);
      else if (a.haves.length === 1) out += pktLine(`ACK ${h}\n`);
    }
    if (!a.done) return ok(RESULT, Buffer.from(out));
    out += a.haves.length ? (multi ? pktLine(`ACK ${lastCommon}\n`) : '') : pktLine('NAK\n');
    const pack = await packFor(a, store, v, limits);
    if ('tooLarge' in pack) return pack.tooLarge;
    return ok(RESULT, Buffer.concat([Buffer.from(out, 'latin1'), pack.bytes]));
  } catch (e) {
    if (e instanceof Refused) return ok(RESULT, errPacket(e));
    throw e;
  }
}

/** protocol v2 `command=fetch`: acknowledgments until ready or done, then shallow-info and the packfile section */
export async function fetchV2(v: RefView, body: Buffer, store: ObjectStore, limits: ServeLimits): Promise<RespondOutput> {
  const a: FetchArgs = { wants: [], haves: [], clientShallow: [], done: false, omitBlobs: false, includeTag: false, sideband: true };
  let args = false, waitForDone = false;
  const asked: string[] = [];
  try {
    for (const p of packets(body)) {
      if (p.type === 'delim') { args = true; continue; }
      if (p.type !== 'data' || !args) continue;
      const l = p.line;
      if (readShape(l, a)) continue;
      if (l.startsWith('have ')) asked.push(l.slice(5, 45));
      else if (l === 'done') a.done = true;
      else if (l === 'include-tag') a.includeTag = true;
      else if (l === 'wait-for-done') waitForDone = true;
      else if (/^(ofs-delta|thin-pack|no-progress)$/.test(l)) continue;
      else throw new Refused(`fetch argument "${l.slice(0, 60)}" is not supported by backend: isomorphic-git; ${USE_GIT}`);
    }
    await checkWants(a, store);
    for (const h of asked) if (await store.has(h)) a.haves.push(h);
    let out = '';
    if (!a.done) {
      out += pktLine('acknowledgments\n');
      if (!a.haves.length) return ok(RESULT, Buffer.from(out + pktLine('NAK\n') + FLUSH));
      if (waitForDone) return ok(RESULT, Buffer.from(out + a.haves.map((h) => pktLine(`ACK ${h}\n`)).join('') + FLUSH));
      out += a.haves.map((h) => pktLine(`ACK ${h}\n`)).join('') + pktLine('ready\n') + DELIM;
    }
    if (a.depth !== undefined) out += pktLine('shallow-info\n') + (await shallowLines(a, store)) + DELIM;
    out += pktLine('packfile\n');
    const pack = await packFor(a, store, v, limits);
    if ('tooLarge' in pack) return pack.tooLarge;
    return ok(RESULT, Buffer.concat([Buffer.from(out, 'latin1'), pack.bytes]));
  } catch (e) {
    if (e instanceof Refused) return ok(RESULT, errPacket(e));
    throw e;
  }
}
