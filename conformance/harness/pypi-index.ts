// A fixture Python package index on 127.0.0.1 (conformance/fixtures/pypi): the index origin U serves the
// simple pages per Accept class (PEP 691 JSON or PEP 503 HTML, `Vary: Accept`), the legacy JSON API, the files
// of the project that links relatively (U/packages/…) and a provenance object; a second origin F serves the
// other files, `.metadata` and `.asc` companions. ETag/304, request counts and faults (stop, flipped byte)
// come from the fixture server.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { startFixtureServer, type FixtureServer, type Content } from './fixture.js';
import { repoRoot } from './launcher.js';

export const PYPI_FIXTURES = join(repoRoot, 'conformance/fixtures/pypi');
export const INDEX_PLACEHOLDER = 'https://index.example';
export const FILES_PLACEHOLDER = 'https://files.example';
const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';

export interface PypiIndex {
  /** the index origin U (no trailing slash) */
  u: FixtureServer;
  /** the files origin F */
  f: FixtureServer;
  url: string;
  /** the committed distribution file of this name */
  file(name: string): Buffer;
  sha256(name: string): string;
  /** the path a file is served at, on F (or on U for the project that links relatively) */
  filePath(name: string): string;
  /** the origin serving a file */
  originOf(name: string): FixtureServer;
  /** GETs of files (not pages) on both origins */
  fileGets(): number;
  /** requests to both origins */
  total(): number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** which class a request's Accept asks for: JSON when a PEP 691 JSON type is listed before any HTML type */
function wantsJson(accept = ''): boolean {
  const i = accept.indexOf(JSON_TYPE) >= 0 ? accept.indexOf(JSON_TYPE) : accept.indexOf('application/vnd.pypi.simple.latest+json');
  if (i < 0) return false;
  const html = accept.search(/text\/html|vnd\.pypi\.simple\.(?:v1|latest)\+html/);
  return html < 0 || i < html;
}

export async function startPypiIndex(o: { jsonOff?: boolean } = {}): Promise<PypiIndex> {
  const dist = join(PYPI_FIXTURES, 'files');
  const index = join(PYPI_FIXTURES, 'index');
  const files = new Map<string, Buffer>();
  for (const n of readdirSync(dist)) files.set(n, readFileSync(join(dist, n)));
  const relative = (name: string) => name.startsWith('Demo.Name_Mixed');
  const projectOf = (name: string) => name.replace(/-\d.*$/, '').replace(/[-_.]+/g, '-').toLowerCase();
  let u!: FixtureServer;
  let f!: FixtureServer;
  const localize = (b: Buffer) => Buffer.from(b.toString('utf8').split(INDEX_PLACEHOLDER).join(u.url).split(FILES_PLACEHOLDER).join(f.url));
  const page = (path: string, headers: Record<string, string>): Content | undefined => {
    const dir = join(index, path);
    if (!existsSync(join(dir, 'index.html'))) return undefined;
    const json = !o.jsonOff && wantsJson(headers.accept);
    return json
      ? { body: localize(readFileSync(join(dir, 'index.json'))), headers: { 'content-type': JSON_TYPE, vary: 'Accept' } }
      : { body: localize(readFileSync(join(dir, 'index.html'))), headers: { 'content-type': 'text/html; charset=utf-8', vary: 'Accept' } };
  };
  u = await startFixtureServer({
    resolve: (raw, headers) => {
      const path = decodeURIComponent(raw);
      if (path === '/simple/' || /^\/simple\/[a-z0-9-]+\/$/.test(path)) return page(path, headers);
      const legacy = /^\/pypi\/([a-z0-9-]+)\/json$/.exec(path);
      if (legacy && existsSync(join(index, path))) return { body: localize(readFileSync(join(index, path))), headers: { 'content-type': 'application/json' } };
      const pkg = /^\/packages\/([^/]+)$/.exec(path)?.[1];
      if (pkg && relative(pkg) && files.has(pkg)) return { body: files.get(pkg)! };
      const prov = /^\/integrity\/[^/]+\/[^/]+\/([^/]+)\/provenance$/.exec(path)?.[1];
      if (prov && files.has(`${prov}.provenance.json`)) return { body: files.get(`${prov}.provenance.json`)!, headers: { 'content-type': 'application/json' } };
      return undefined;
    },
  });
  f = await startFixtureServer({
    resolve: (raw) => {
      const m = /^\/packages\/([^/]+)\/([^/]+)$/.exec(decodeURIComponent(raw));
      if (!m || relative(m[2]!) || !files.has(m[2]!)) return undefined;
      return { body: files.get(m[2]!)!, headers: { 'content-type': 'application/octet-stream' } };
    },
  });
  const isFile = (p: string) => p.startsWith('/packages/');
  return {
    u, f, url: u.url,
    file: (name) => files.get(name)!,
    sha256: (name) => createHash('sha256').update(files.get(name)!).digest('hex'),
    filePath: (name) => (relative(name) ? `/packages/${name}` : `/packages/${projectOf(name)}/${name}`),
    originOf: (name) => (relative(name) ? u : f),
    fileGets: () => [...u.requests, ...f.requests].filter((r) => r.method === 'GET' && isFile(r.path)).length,
    total: () => u.requests.length + f.requests.length,
    stop: async () => { await u.stop(); await f.stop(); },
    start: async () => { await u.start(); await f.start(); },
  };
}
