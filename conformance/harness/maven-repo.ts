// A fixture Maven repository on 127.0.0.1: serves conformance/fixtures/maven/repo (made by real mvn deploy-file)
// with ETag/Last-Modified and 304s, counts requests, and on demand: lays the third snapshot build over the
// repository (build3/), answers a path with an HTML page and 200, flips a byte (fault), stops.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, type FixtureServer, type Content } from './fixture.js';
import { repoRoot } from './launcher.js';

export const MAVEN_FIXTURE_DIR = join(repoRoot, 'conformance/fixtures/maven');
const TYPES: Record<string, string> = { jar: 'application/java-archive', pom: 'text/xml', xml: 'text/xml' };
const HTML = '<!DOCTYPE html>\n<html><head><title>Service unavailable</title></head><body><h1>Please try again later<br></h1></body></html>\n';

export interface MavenRepo {
  fx: FixtureServer;
  url: string;
  /** GETs of one repository path (no leading slash) */
  gets(path: string): number;
  /** every request the repository saw for paths under com/example, in order */
  seen(): { method: string; path: string; conditional: boolean }[];
  /** the third build of demo:1.1-SNAPSHOT is deployed from now on */
  deployThirdSnapshot(): void;
  /** answer this path with an HTML page and 200 (until cleared) */
  htmlAt(path: string): void;
  clear(): void;
}

export async function startMavenRepo(): Promise<MavenRepo> {
  let third = false;
  const html = new Set<string>();
  const resolve = (raw: string): Content | undefined => {
    let p: string;
    try { p = decodeURIComponent(raw).replace(/^\/+/, ''); } catch { return undefined; }
    if (html.has(p)) return { body: HTML, headers: { 'content-type': 'text/html; charset=utf-8' } };
    for (const dir of third ? ['build3', 'repo'] : ['repo']) {
      const f = join(MAVEN_FIXTURE_DIR, dir, p);
      if (!p.includes('..') && existsSync(f) && statSync(f).isFile()) return { file: f, headers: { 'content-type': TYPES[p.slice(p.lastIndexOf('.') + 1)] ?? 'text/plain' } };
    }
    return undefined;
  };
  const fx = await startFixtureServer({ resolve });
  return {
    fx, url: fx.url,
    gets: (path) => fx.count('GET', `/${path}`),
    seen: () => fx.requests.filter((r) => r.path.startsWith('/com/example/')).map((r) => ({ method: r.method, path: r.path.slice(1), conditional: !!(r.headers['if-none-match'] || r.headers['if-modified-since']) })),
    deployThirdSnapshot: () => { third = true; },
    htmlAt: (path) => { html.add(path); },
    clear: () => { html.clear(); fx.clearFaults(); },
  };
}
