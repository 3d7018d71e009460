// What the deb conformance files share: the real-tool fixture (built at test time), a deb instance in
// front of fixture upstreams, sources.list lines for the proxy, and small HTTP probes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { tmpDir, repoRoot, startProxy, type ProxyHandle } from './launcher.js';
import type { FixtureServer } from './fixture.js';
import { httpGet } from './http.js';

export interface DebFixture { dir: string; key: string; tree(name: 'v1' | 'v2' | 'v3' | 'v4' | 'torn'): string }

/** conformance/fixtures/deb/make.sh into a temp dir (dpkg-deb, apt-ftparchive, gpg) */
export function buildDebFixture(o: { dataMiB?: number; extra?: number } = {}): DebFixture {
  const dir = tmpDir('debfx-');
  execFileSync('bash', [join(repoRoot, 'conformance/fixtures/deb/make.sh'), dir], { stdio: 'pipe', env: { ...process.env, CP_DATA_MIB: String(o.dataMiB ?? 20), CP_EXTRA: String(o.extra ?? 0) } });
  return { dir, key: join(dir, 'key.gpg'), tree: (n) => join(dir, n) };
}

export async function startDebProxy(upstreams: string[], extra = '', top = ''): Promise<{ proxy: ProxyHandle; url: string }> {
  const proxy = await startProxy({
    config: `
server: { bind: "127.0.0.1:\${PORT}", backend: "\${BACKEND}" }
metrics: { path: /metrics }
${top}
instances:
  - name: debian
    enabled: true
    deb:
      route: { path: /deb }
      upstreams: [${upstreams.join(', ')}]
${extra}`,
  });
  return { proxy, url: `${proxy.url}/deb` };
}

export const debSources = (url: string, key: string, suites = ['bookworm', 'bookworm-updates']) => suites.map((s) => `deb [signed-by=${key}] ${url} ${s} main`);
export const flatSource = (url: string, key: string) => `deb [signed-by=${key}] ${url}/flat ./`;

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
export const upstreamCount = (...fx: FixtureServer[]) => fx.reduce((n, f) => n + f.requests.length, 0);

/** the generation the proxy serves for a suite (X-Cache-Generation of its InRelease) */
export async function servedGeneration(url: string, suite = 'bookworm'): Promise<number> {
  const r = await httpGet(`${url}/dists/${suite}/InRelease`, { method: 'HEAD' });
  return Number(r.headers['x-cache-generation'] ?? 0);
}

/** the SHA256 the served InRelease pins for a listed name */
export function pinnedSha256(inrelease: string, name: string): string | undefined {
  const section = inrelease.split(/^SHA256:$/m)[1] ?? '';
  for (const l of section.split('\n')) {
    if (!l.startsWith(' ')) { if (l.trim()) break; continue; }
    const [hex, , n] = l.trim().split(/\s+/);
    if (n === name) return hex;
  }
  return undefined;
}

export async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) { if (await cond()) return; await new Promise((r) => setTimeout(r, 200)); }
  throw new Error(`timed out waiting for ${what}`);
}
