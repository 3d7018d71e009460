// The go block as hooks read it (ctx.settings). The checksum database not named in the block comes from the
// environment at start: the proxy process's GOSUMDB, else `go env GOSUMDB` when a go toolchain is on PATH.
import { execFileSync } from 'node:child_process';
import { modeSettings, type ModeConfig } from '../../engine/mode.js';
import { prefixPatterns, type PathMatcher } from './private-patterns.js';
import { parseVerifierKey, type VerifierKey } from './signed-note.js';

export interface SumdbSettings { name: string; url: string; key?: VerifierKey }
export interface GoSettings {
  proxies: string[];
  isPrivate: PathMatcher;
  noSumdb: PathMatcher;
  /** null: checksum database proxying is off (its paths answer 404) */
  sumdb: SumdbSettings | null;
  verify: 'sumdb' | 'structure' | 'off';
}

interface SumdbBlock { enabled?: boolean; name?: string; url?: string; key?: string }

/** `<name>[+<hash>+<key>] [<url>]` of GOSUMDB; null for off or empty */
export function parseGosumdb(value: string | undefined): { name: string; key?: string; url?: string } | null {
  const [first, url] = (value ?? '').trim().split(/\s+/);
  if (!first || first === 'off') return null;
  const name = first.split('+')[0]!;
  return { name, key: first.includes('+') ? first : undefined, url };
}

function goEnvGosumdb(env: NodeJS.ProcessEnv): string | undefined {
  try { return execFileSync('go', ['env', 'GOSUMDB'], { env, timeout: 20_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return undefined; }
}

export function resolveSumdb(block: SumdbBlock, env: NodeJS.ProcessEnv = process.env, goEnv = goEnvGosumdb): SumdbSettings | null {
  if (block.enabled === false) return null;
  const fromKey = block.key ? parseVerifierKey(block.key) : undefined;
  const configured = block.name ?? fromKey?.name;
  const fromEnv = configured ? null : parseGosumdb(env.GOSUMDB ?? goEnv(env));
  const name = configured ?? fromEnv?.name;
  if (!name) return null;
  const key = fromKey ?? (fromEnv?.key ? parseVerifierKey(fromEnv.key) : undefined);
  const url = (block.url ?? fromEnv?.url ?? `https://${name}`).replace(/\/+$/, '');
  return { name, url, ...(key ? { key } : {}) };
}

const memo = new WeakMap<object, GoSettings>();

function parse(c: ModeConfig): GoSettings {
  const known = memo.get(c);
  if (known) return known;
  const sumdb = resolveSumdb((c.sumdb ?? {}) as SumdbBlock);
  const s: GoSettings = {
    proxies: (c.proxies as string[]).map((p) => p.replace(/\/+$/, '')),
    isPrivate: prefixPatterns((c.goprivate as string[] | undefined) ?? []),
    noSumdb: prefixPatterns((c.gonosumdb as string[] | undefined) ?? []),
    sumdb,
    verify: (c.verify as GoSettings['verify'] | undefined) ?? (sumdb ? 'sumdb' : 'structure'),
  };
  memo.set(c, s);
  return s;
}

/** parsed once per block object: route conditions (which get the block) and hooks (ctx.settings) share it */
export const settings = modeSettings(parse);
