// A fixture Cargo sparse registry on 127.0.0.1: the index origin U serves config.json (one of the dl template
// variants), the index files of conformance/fixtures/cargo/registry and a canned search answer; a separate
// download origin D serves the .crate files at every path a variant's template names. ETags and 304s, request
// counts, faults (flipped byte, stop/start) come from the fixture server.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startFixtureServer, type Content, type FixtureServer, type SeenRequest } from './fixture.js';
import { repoRoot } from './launcher.js';

export const CARGO_FIXTURE_DIR = join(repoRoot, 'conformance/fixtures/cargo');

export interface FixtureCrate { name: string; vers: string; cksum: string; yanked: boolean; body: Buffer }
export interface CargoData {
  /** index path (lower case, as cargo asks) → bytes */
  index: Map<string, Buffer>;
  /** `<name>-<vers>` → crate */
  crates: Map<string, FixtureCrate>;
}

/** the dl templates the registry can announce; `lowerprefix` is the normal one */
export type DlVariant = 'lowerprefix' | 'markerless' | 'prefix' | 'checksum';
const TEMPLATES: Record<DlVariant, string> = {
  lowerprefix: '/files/{lowerprefix}/{crate}/{crate}-{version}.crate',
  markerless: '/crates',
  prefix: '/p/{prefix}/{crate}/{version}.crate',
  checksum: '/sum/{sha256-checksum}',
};

export const SEARCH_ANSWER = { crates: [{ name: 'fx_demo', max_version: '0.1.0', description: 'cache-proxy fixture crate fx_demo' }], meta: { total: 1 } };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

export function loadCargoFixture(dir = join(CARGO_FIXTURE_DIR, 'registry')): CargoData {
  const index = new Map<string, Buffer>();
  const crates = new Map<string, FixtureCrate>();
  for (const f of files(join(dir, 'index'))) {
    const body = readFileSync(f);
    index.set(relative(join(dir, 'index'), f), body);
    for (const line of body.toString('utf8').split('\n').filter(Boolean)) {
      const e = JSON.parse(line) as { name: string; vers: string; cksum: string; yanked: boolean };
      crates.set(`${e.name}-${e.vers}`, { ...e, body: readFileSync(join(dir, 'crates', `${e.name}-${e.vers}.crate`)) });
    }
  }
  return { index, crates };
}

function indexDir(name: string): string {
  if (name.length <= 2) return String(name.length);
  if (name.length === 3) return `3/${name[0]}`;
  return `${name.slice(0, 2)}/${name.slice(2, 4)}`;
}

export interface CargoRegistry {
  u: FixtureServer;
  d: FixtureServer;
  /** index root U (no trailing slash) */
  url: string;
  data: CargoData;
  /** announce another dl template; with `token`, U answers 401 unless `Authorization: Bearer <token>` and says auth-required */
  setConfig(variant: DlVariant, o?: { token?: string }): void;
  /** the path D serves a crate at under a variant: what cargo builds from the template */
  dlPath(variant: DlVariant, c: FixtureCrate): string;
  crate(name: string, vers: string): FixtureCrate;
  /** GETs D saw, in order */
  downloads(): SeenRequest[];
  /** requests U saw for index files and config.json */
  indexRequests(): SeenRequest[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** oneOrigin: U serves the crate files too and the dl template names U (a recording has one origin) */
export async function startCargoRegistry(data: CargoData = loadCargoFixture(), o: { oneOrigin?: boolean } = {}): Promise<CargoRegistry> {
  let variant: DlVariant = 'lowerprefix';
  let token: string | undefined;
  const byPath = new Map<string, FixtureCrate>();
  const octet = (c: FixtureCrate): Content => ({ body: c.body, headers: { 'content-type': 'application/octet-stream' } });
  const d = await startFixtureServer({ resolve: (p) => { const c = byPath.get(p); return c && octet(c); } });
  const u = await startFixtureServer({
    resolve: (raw, headers): Content | undefined => {
      if (token && headers.authorization !== `Bearer ${token}`) return { status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': 'Cargo login_url="https://login.example/"' }, body: '{"errors":[{"detail":"token required"}]}' };
      const p = raw.replace(/^\/+/, '');
      if (p === 'config.json') {
        const doc: Record<string, unknown> = { dl: `${o.oneOrigin ? u.url : d.url}${TEMPLATES[variant]}`, api: u.url, 'x-fixture-note': 'unknown keys are kept' };
        if (token) doc['auth-required'] = true;
        return { body: JSON.stringify(doc), headers: { 'content-type': 'application/json' } };
      }
      if (p === 'api/v1/crates') return { body: JSON.stringify(SEARCH_ANSWER), headers: { 'content-type': 'application/json' } };
      const b = data.index.get(p);
      if (b) return { body: b, headers: { 'content-type': 'text/plain' } };
      const c = o.oneOrigin ? byPath.get(raw) : undefined;
      return c && octet(c);
    },
  });
  const dlPath = (v: DlVariant, c: FixtureCrate) => {
    const t = TEMPLATES[v];
    const full = /\{(crate|version|prefix|lowerprefix|sha256-checksum)\}/.test(t) ? t : `${t}/{crate}/{version}/download`;
    return full.replaceAll('{crate}', c.name).replaceAll('{version}', c.vers).replaceAll('{prefix}', indexDir(c.name)).replaceAll('{lowerprefix}', indexDir(c.name).toLowerCase()).replaceAll('{sha256-checksum}', c.cksum);
  };
  // D answers every variant's path, also the suffixed form of the checksum template
  for (const c of data.crates.values()) {
    for (const v of Object.keys(TEMPLATES) as DlVariant[]) byPath.set(dlPath(v, c), c);
    byPath.set(`/sum/${c.cksum}/${c.name}/${c.vers}/download`, c);
  }
  return {
    u, d, url: u.url, data, dlPath,
    setConfig: (v, o = {}) => { variant = v; token = o.token; },
    crate: (name, vers) => { const c = data.crates.get(`${name}-${vers}`); if (!c) throw new Error(`no fixture crate ${name}-${vers}`); return c; },
    downloads: () => d.requests.filter((r) => r.method === 'GET'),
    indexRequests: () => u.requests.filter((r) => !r.path.startsWith('/api/')),
    stop: async () => { await u.stop(); await d.stop(); },
    start: async () => { await u.start(); await d.start(); },
  };
}
