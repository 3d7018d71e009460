// The go mode's fixture upstreams: proxy origins G1 (conformance/fixtures/go/g1) and G2 (g2, one extra module)
// serving GOPROXY directories, and S, the checksum database (sumdbfx) over both behind a counting shim. All
// count requests and can be stopped and started again (an outage); G1 can flip one byte of an answer.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { startFixtureServer, type FixtureServer } from './fixture.js';
import { startShim, type Shim } from './shim.js';
import { track } from './cleanup.js';
import { GO_FIXTURE_DIR, goTool } from './go-tools.js';
import { startProxy, type ProxyHandle } from './launcher.js';
import { singleInstanceConfig } from './single-instance.js';

export const SUMDB_NAME = 'sumdb.fx.example';

export interface GoUpstreams {
  g1: FixtureServer; g2: FixtureServer; s: Shim;
  /** the checksum database's verifier key */
  vkey: string;
  /** requests to G1, G2 and S together */
  total(): number;
  stopAll(): Promise<void>;
  startAll(): Promise<void>;
}

/** every `<escaped module>@<escaped version>` of a GOPROXY directory with a zip, sorted */
function moduleVersions(dir: string, sub = ''): string[] {
  return readdirSync(join(dir, sub)).sort().flatMap((n) => {
    const rel = sub ? `${sub}/${n}` : n;
    if (n === '@v') return readdirSync(join(dir, rel)).filter((f) => f.endsWith('.zip')).sort().map((f) => `${sub}@${f.slice(0, -4)}`);
    return statSync(join(dir, rel)).isDirectory() ? moduleVersions(dir, rel) : [];
  });
}

/** starts sumdbfx over `dirs`; its key and address come from its first two output lines */
export async function startSumdbOver(dirs: string[]): Promise<{ vkey: string; url: string }> {
  const bin = await goTool('sumdbfx');
  const child = spawn(bin, [SUMDB_NAME, '127.0.0.1:0', ...dirs], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(() => { child.kill(); }, () => { child.kill(); });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const timer = setTimeout(() => child.kill(), 30_000);
  try {
    const vkey = (await lines.next()).value as string | undefined;
    const addr = (await lines.next()).value as string | undefined;
    if (!vkey || !addr) throw new Error('sumdbfx did not start');
    // every record is added now, in a fixed order: the tree no longer grows, so every lookup carries the same
    // signed tree head and the go command needs the same tiles on every run
    for (const mv of dirs.flatMap((d) => moduleVersions(d))) {
      const r = await fetch(`http://${addr}/lookup/${mv}`);
      if (r.status !== 200) throw new Error(`sumdbfx lookup ${mv}: ${r.status}`);
      await r.arrayBuffer();
    }
    return { vkey, url: `http://${addr}` };
  } finally { clearTimeout(timer); }
}

/** `sumdbKnows`: the origins whose modules the checksum database knows (default both) */
export async function startGoUpstreams(o: { g1?: string; g2?: string; sumdbKnows?: ('g1' | 'g2')[] } = {}): Promise<GoUpstreams> {
  const g1Dir = o.g1 ?? join(GO_FIXTURE_DIR, 'g1'), g2Dir = o.g2 ?? join(GO_FIXTURE_DIR, 'g2');
  const g1 = await startFixtureServer({ root: g1Dir });
  const g2 = await startFixtureServer({ root: g2Dir });
  track(() => g1.close()); track(() => g2.close());
  const db = await startSumdbOver((o.sumdbKnows ?? ['g1', 'g2']).map((k) => (k === 'g1' ? g1Dir : g2Dir)));
  const s = await startShim({ target: db.url });
  return {
    g1, g2, s, vkey: db.vkey,
    total: () => g1.requests.length + g2.requests.length + s.requests.length,
    stopAll: async () => { await g1.stop(); await g2.stop(); await s.refuse(); },
    startAll: async () => { await g1.start(); await g2.start(); await s.accept(); },
  };
}

export interface GoProxyOptions {
  /** lines added to the go block (indented 6 spaces) */
  go?: string;
  /** the sumdb block (default: enabled, the fixture database and its key) */
  sumdb?: string;
  /** the proxies list (default: G1, G2) */
  proxies?: string[];
}

export function goConfig(up: GoUpstreams, o: GoProxyOptions = {}): string {
  const sumdb = o.sumdb ?? `{ enabled: true, name: ${SUMDB_NAME}, url: "${up.s.url}", key: "${up.vkey}" }`;
  return singleInstanceConfig({ mode: 'go', block: `      proxies: [${(o.proxies ?? [up.g1.url, up.g2.url]).join(', ')}]\n      sumdb: ${sumdb}\n${o.go ?? ''}` });
}

export async function startGoProxy(up: GoUpstreams, o: GoProxyOptions = {}): Promise<{ proxy: ProxyHandle; X: string }> {
  const proxy = await startProxy({ config: goConfig(up, o) });
  return { proxy, X: `${proxy.url}/go` };
}

/** byte offsets of the first and last characters of the first entry name in a zip's central directory (a flip
 *  there changes what the check reads while the archive stays readable) */
export function centralName(zipFile: string): { first: number; last: number } {
  const z = readFileSync(zipFile);
  const eocd = z.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const cd = z.readUInt32LE(eocd + 16);
  return { first: cd + 46, last: cd + 46 + z.readUInt16LE(cd + 28) - 1 };
}
