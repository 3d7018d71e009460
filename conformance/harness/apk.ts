// What the apk conformance files share: the hand-made v2 fixture (built at test time) and an apk instance in
// front of fixture upstreams. No apk client exists on this machine: the tests speak HTTP.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpDir, repoRoot, startProxy, type ProxyHandle } from './launcher.js';
import { singleInstanceConfig } from './single-instance.js';

export type ApkTree = 'v1' | 'v2' | 'torn' | 'corrupt' | 'rebuilt';
export interface ApkFixture { dir: string; tree(name: ApkTree): string }
export const APK_REPO_DIR = 'v3.20/main/x86_64';

/** conformance/fixtures/apk/make.mjs into a temp dir */
export function buildApkFixture(o: { dataMiB?: number } = {}): ApkFixture {
  const dir = tmpDir('apkfx-');
  execFileSync(process.execPath, [join(repoRoot, 'conformance/fixtures/apk/make.mjs'), dir], { stdio: 'pipe', env: { ...process.env, CP_DATA_MIB: String(o.dataMiB ?? 1) } });
  return { dir, tree: (n) => join(dir, n) };
}

export async function startApkProxy(upstreams: string[], block = ''): Promise<{ proxy: ProxyHandle; url: string }> {
  const proxy = await startProxy({ config: singleInstanceConfig({ mode: 'apk', block: `      upstreams: [${upstreams.join(', ')}]\n${block}` }) });
  return { proxy, url: `${proxy.url}/apk` };
}
