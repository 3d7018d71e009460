// What is checked before a body of the go mode is stored: module zips and .mod files against the checksum
// database's record (the h1 hash the go command uses), every module file's structure, and the checksum
// database's own answers (a lookup is a record plus a signed note, a hash tile is whole hashes).
import type { Readable } from 'node:stream';
import type { CheckHook, HookContext, Match, VerifyHook } from '../../engine/mode.js';
import { hash1, hash1GoMod } from './dirhash.js';
import { parseLookup, recordedHash, type LookupAnswer } from './lookup.js';
import { isCanonicalVersion, moduleRequest, type ModuleRequest } from './module-path.js';
import { settings, type GoSettings } from './settings.js';
import { parseSignedNote, signedBy } from './signed-note.js';
import { hashEntries, zipEntries } from './zip-reader.js';

const MAX_ZIP_UNCOMPRESSED = 500 * 1024 * 1024;
const MAX_MOD = 16 * 1024 * 1024;
const MAX_DOCUMENT = 1024 * 1024;

/** a check's reason is the client's message (go prints it) */
const refuse = (message: string): string => `${message}; nothing was cached`;
const nameOf = (r: ModuleRequest) => `${r.path}@${r.version}`;

/** whether this module file is checked against the checksum database */
function againstSumdb(s: GoSettings, r: ModuleRequest): s is GoSettings & { sumdb: NonNullable<GoSettings['sumdb']> } {
  return s.verify === 'sumdb' && s.sumdb !== null && (r.file === 'zip' || r.file === 'mod') && !s.noSumdb(r.path) && !s.isPrivate(r.path);
}

/** the checksum database's lookup of a module version, through this instance (cached as the clients' lookups are) */
async function lookupThrough(ctx: HookContext, s: GoSettings & { sumdb: NonNullable<GoSettings['sumdb']> }, r: ModuleRequest) {
  return ctx.fetchThrough(`sumdb/${s.sumdb.name}/lookup/${r.escaped}@${r.escapedVersion}`);
}

/**
 * Verify stage of zips and .mod files: the record is looked up while the body streams. A module version the
 * checksum database does not know (404/410), or a database that cannot answer, is served but not stored.
 */
export const recordKnown: VerifyHook = async ({ match, ctx }) => {
  const s = settings.of(ctx);
  const r = moduleRequest(match.path);
  if (!r || !againstSumdb(s, r)) return null;
  const got = await lookupThrough(ctx, s, r);
  if (got?.status === 200) return null;
  if (got?.status !== 404 && got?.status !== 410) ctx.log.warn('checksum database unavailable: module file served, not stored', { instance: ctx.instance, module: nameOf(r), status: got?.status });
  return { skip: true, source: 'checksum database' };
};

/** the recorded h1 of the zip (or, for `.mod`, the go.mod), or a refusal when the database's answer is unusable */
async function expectedHash(ctx: HookContext, s: GoSettings & { sumdb: NonNullable<GoSettings['sumdb']> }, r: ModuleRequest): Promise<{ hash: string } | { refusal: string } | undefined> {
  const got = await lookupThrough(ctx, s, r);
  if (got?.status !== 200) return undefined; // the verify stage already decided not to store it
  let answer: LookupAnswer;
  try { answer = parseLookup(got.body.toString('utf8')); } catch (e) { return { refusal: refuse(`verifying ${nameOf(r)}: ${(e as Error).message}`) }; }
  if (s.sumdb.key && !signedBy(answer.note, s.sumdb.key)) return { refusal: refuse(`verifying ${nameOf(r)}: the checksum database's note carries no valid signature by ${s.sumdb.key.name}`) };
  const h = recordedHash(answer, r.path, r.file === 'mod' ? `${r.version}/go.mod` : r.version!);
  return h ? { hash: h } : { refusal: refuse(`verifying ${nameOf(r)}: the checksum database's record has no ${r.file === 'mod' ? 'go.mod ' : ''}hash for it`) };
}

/** the refusal when the body's h1 is not the recorded one */
function checkedAgainst(r: ModuleRequest, expected: { hash: string } | { refusal: string } | undefined, actual: () => string): string | null {
  if (!expected) return null;
  if ('refusal' in expected) return expected.refusal;
  return mismatch(r, expected.hash, actual());
}

function mismatch(r: ModuleRequest, expected: string, actual: string): string | null {
  if (expected === actual) return null;
  return refuse(`verifying ${nameOf(r)}${r.file === 'mod' ? '/go.mod' : ''}: checksum mismatch: checksum database says ${expected}, upstream sent ${actual}`);
}

async function readAll(open: () => Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of open() as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

/** a module zip: every entry under `<module>@<version>/`, no `..`, no names equal but for case, ≤ 500 MiB; its h1 the record's */
export const checkZip: CheckHook = async ({ open, size, match, ctx }) => {
  const s = settings.of(ctx);
  const r = moduleRequest(match.path)!;
  if (s.verify === 'off') return null;
  const prefix = `${nameOf(r)}/`;
  let files: Map<string, string>;
  try {
    const entries = await zipEntries(open, size);
    const seen = new Set<string>();
    for (const e of entries) {
      if (!e.name.startsWith(prefix)) return refuse(`${nameOf(r)}: zip entry ${JSON.stringify(e.name)} is not under ${prefix}`);
      if (e.name.split('/').includes('..')) return refuse(`${nameOf(r)}: zip entry ${JSON.stringify(e.name)} leaves the module`);
      const folded = e.name.toLowerCase();
      if (seen.has(folded)) return refuse(`${nameOf(r)}: zip has two entries named ${JSON.stringify(e.name)} but for case`);
      seen.add(folded);
    }
    if (entries.reduce((n, e) => n + e.size, 0) > MAX_ZIP_UNCOMPRESSED) return refuse(`${nameOf(r)}: zip is larger than 500 MiB uncompressed`);
    files = await hashEntries(open, entries, MAX_ZIP_UNCOMPRESSED);
  } catch (e) {
    return refuse(`${nameOf(r)}: invalid module zip: ${(e as Error).message}`);
  }
  if (!againstSumdb(s, r)) return null;
  return checkedAgainst(r, await expectedHash(ctx, s, r), () => hash1(files));
};

function versionDocument(body: Buffer, want?: string): string | null {
  let doc: unknown;
  try { doc = JSON.parse(body.toString('utf8')); } catch { return 'is not JSON'; }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'is not a JSON object';
  const v = (doc as { Version?: unknown }).Version;
  if (typeof v !== 'string' || !isCanonicalVersion(v)) return 'names no canonical Version';
  if (want !== undefined && v !== want) return `names Version ${v}`;
  return null;
}

/** `.info`: a JSON object naming the requested version; `.mod`: UTF-8, ≤ 16 MiB, its h1 the record's */
export const checkVersionFile: CheckHook = async ({ open, size, match, ctx }) => {
  const s = settings.of(ctx);
  const r = moduleRequest(match.path)!;
  if (s.verify === 'off') return null;
  if (r.file === 'info') {
    if (size > MAX_DOCUMENT) return refuse(`${nameOf(r)}.info is larger than ${MAX_DOCUMENT} bytes`);
    const why = versionDocument(await readAll(open), r.version);
    return why ? refuse(`${nameOf(r)}.info ${why}`) : null;
  }
  if (size > MAX_MOD) return refuse(`${nameOf(r)}: go.mod is larger than 16 MiB`);
  const body = await readAll(open);
  try { new TextDecoder('utf-8', { fatal: true }).decode(body); } catch { return refuse(`${nameOf(r)}: go.mod is not UTF-8`); }
  if (!againstSumdb(s, r)) return null;
  return checkedAgainst(r, await expectedHash(ctx, s, r), () => hash1GoMod(body));
};

/** `@latest`: a JSON object naming a canonical version (a version list is any text) */
export const checkModuleDocument: CheckHook = async ({ open, size, match, ctx }) => {
  const r = moduleRequest(match.path)!;
  if (r.file !== 'latest' || settings.of(ctx).verify === 'off') return null;
  if (size > MAX_DOCUMENT) return refuse(`${r.path}@latest is larger than ${MAX_DOCUMENT} bytes`);
  const why = versionDocument(await readAll(open));
  return why ? refuse(`${r.path}@latest ${why}`) : null;
};

const TILE = /^tile\/(\d+)\/(\d+|data)\/(?:x\d{3}\/)*\d{3}(?:\.p\/(\d+))?$/;

/** the database's answers: a lookup is a record and a signed note (signed by the key, when one is configured),
 *  a hash tile is whole 32-byte hashes (exactly as many as a full or partial tile holds), a latest note is signed */
export const checkSumdbAnswer: CheckHook = async ({ open, size, match, ctx }) => {
  const s = settings.of(ctx);
  const rest = sumdbRest(match);
  if (rest.startsWith('tile/')) {
    const t = TILE.exec(rest);
    if (!t || t[2] === 'data') return null;
    const width = t[3] ? Number(t[3]) : 2 ** Number(t[1]);
    return size === width * 32 ? null : refuse(`checksum database tile ${rest} has ${size} bytes, not ${width} hashes`);
  }
  if (size > MAX_DOCUMENT) return refuse(`checksum database answer ${rest} is larger than ${MAX_DOCUMENT} bytes`);
  const text = (await readAll(open)).toString('utf8');
  try {
    const note = rest === 'latest' ? parseSignedNote(text) : parseLookup(text).note;
    if (s.sumdb?.key && !signedBy(note, s.sumdb.key)) return refuse(`checksum database answer ${rest} carries no valid signature by ${s.sumdb.key.name}`);
  } catch (e) {
    return refuse(`checksum database answer ${rest}: ${(e as Error).message}`);
  }
  return null;
};

/** the path after `sumdb/<name>/` */
export const sumdbRest = (m: Pick<Match, 'path'>) => m.path.split('/').slice(2).join('/');
