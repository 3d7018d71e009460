// A fixture npm registry on 127.0.0.1 (modes/npm.md §6): serves the packuments and tarballs of
// conformance/fixtures/npm/registry (or generated packages) per Accept class with Vary: Accept,
// ETag/Last-Modified and 304s, version documents and dist-tags; a second origin T2 serves the
// tarballs whose documents name it. Faults (stop, flipped byte, 5xx/429) come from the fixture server.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, type FixtureServer, type Content } from './fixture.js';
import { repoRoot } from './launcher.js';

export const REGISTRY_PLACEHOLDER = 'https://registry.example';
export const T2_PLACEHOLDER = 'https://t2.example';
export const FIXTURE_DIR = join(repoRoot, 'conformance/fixtures/npm');
const INSTALL_V1 = 'application/vnd.npm.install-v1+json';

export interface PackageDocs { full: Record<string, unknown>; abbrev: Record<string, unknown> }
export interface RegistryData { docs: Map<string, PackageDocs>; tarballs: Map<string, Buffer> }

export interface NpmRegistry {
  fx: FixtureServer;
  t2: FixtureServer;
  /** registry base URL (no trailing slash) */
  url: string;
  data: RegistryData;
  /** the path the registry serves a version's tarball at (as requested) */
  tarballPath(name: string, version: string): string;
  /** upstream GETs of tarballs on both origins */
  tarballGets(): number;
  /** upstream requests of package documents (any method) */
  docRequests(): number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** the committed fixture packages */
export function loadFixtureRegistry(dir = join(FIXTURE_DIR, 'registry')): RegistryData {
  const docs = new Map<string, PackageDocs>();
  const tarballs = new Map<string, Buffer>();
  for (const f of readdirSync(join(dir, 'docs'))) {
    if (!f.endsWith('.install-v1.json')) continue;
    const name = decodeURIComponent(f.slice(0, -'.install-v1.json'.length));
    docs.set(name, { abbrev: JSON.parse(readFileSync(join(dir, 'docs', f), 'utf8')) as Record<string, unknown>, full: JSON.parse(readFileSync(join(dir, 'docs', f.replace('.install-v1.json', '.json')), 'utf8')) as Record<string, unknown> });
    const tdir = join(dir, 'tarballs', name, '-');
    if (existsSync(tdir)) for (const t of readdirSync(tdir)) tarballs.set(`${name}/-/${t}`, readFileSync(join(tdir, t)));
  }
  return { docs, tarballs };
}

const json = (body: string, type: string): Content => ({ body, headers: { 'content-type': type, vary: 'Accept' } });

export async function startNpmRegistry(data: RegistryData = loadFixtureRegistry()): Promise<NpmRegistry> {
  let reg!: NpmRegistry;
  const text = new Map<string, string>();
  const localize = (key: string, doc: unknown) => {
    let t = text.get(key);
    if (t === undefined) {
      t = JSON.stringify(doc).split(REGISTRY_PLACEHOLDER).join(reg.fx.url).split(T2_PLACEHOLDER).join(reg.t2.url);
      text.set(key, t);
    }
    return t;
  };
  const resolve = (raw: string, headers: Record<string, string>): Content | undefined => {
    let path: string;
    try { path = decodeURIComponent(raw).replace(/^\/+/, ''); } catch { return undefined; }
    const tgz = data.tarballs.get(path);
    if (tgz) return { body: tgz, headers: { 'content-type': 'application/octet-stream' } };
    const dt = /^-\/package\/(.+)\/dist-tags$/.exec(path);
    if (dt) { const d = data.docs.get(dt[1]!); return d ? json(JSON.stringify(d.full['dist-tags']), 'application/json') : undefined; }
    const segs = path.split('/');
    const n = segs[0]?.startsWith('@') ? 2 : 1;
    const name = segs.slice(0, n).join('/');
    const d = data.docs.get(name);
    if (!d) return undefined;
    if (segs.length === n) {
      const abbreviated = (headers.accept ?? '').includes(INSTALL_V1);
      return abbreviated ? json(localize(`a:${name}`, d.abbrev), INSTALL_V1) : json(localize(`f:${name}`, d.full), 'application/json');
    }
    if (segs.length === n + 1) {
      const tags = d.full['dist-tags'] as Record<string, string>;
      const versions = d.full.versions as Record<string, unknown>;
      const v = versions[segs[n]!] ? segs[n]! : tags[segs[n]!];
      return v && versions[v] ? json(localize(`v:${name}@${v}`, versions[v]), 'application/json') : undefined;
    }
    return undefined;
  };
  const fx = await startFixtureServer({ resolve });
  const t2 = await startFixtureServer({
    resolve: (raw) => {
      const file = /^\/files\/([^/]+\.tgz)$/.exec(raw)?.[1];
      if (!file) return undefined;
      for (const [p, b] of data.tarballs) if (p.endsWith(`/-/${file}`)) return { body: b, headers: { 'content-type': 'application/octet-stream' } };
      return undefined;
    },
  });
  const isTarball = (p: string) => p.endsWith('.tgz');
  reg = {
    fx, t2, url: fx.url, data,
    tarballPath: (name, version) => `/${name}/-/${name.slice(name.lastIndexOf('/') + 1)}-${version}.tgz`,
    tarballGets: () => [...fx.requests, ...t2.requests].filter((r) => r.method === 'GET' && isTarball(r.path)).length,
    docRequests: () => fx.requests.filter((r) => !isTarball(r.path)).length,
    stop: async () => { await fx.stop(); await t2.stop(); },
    start: async () => { await fx.start(); await t2.start(); },
  };
  return reg;
}
