// apk mode replays, recorded from the hand-made apk v2 fixture tree v1 (conformance/fixtures/apk/make.mjs;
// cp-data's payload left empty) served by the conformance fixture server.
import { startFixtureServer } from '../harness/fixture.js';
import { buildApkFixture, APK_REPO_DIR } from '../harness/apk.js';
import { gzipMember } from '../../modes/apk/package.js';
import { record, writeScenarios, expect, sha256 } from './scenario.js';
import { counts as c, generation as gen, packageKept, packageMissing, packageRefusedThenKept } from './linux-repo-expect.js';

const DIR = `/${APK_REPO_DIR}`;
const INDEX = `${DIR}/APKINDEX.tar.gz`, PKG = `${DIR}/cp-hello-1.0-r0.apk`, NO_PKG = `${DIR}/cp-none-1.0-r0.apk`;

const instance = `
route: { path: /apk }
upstreams: [\${UPSTREAM}]
`;

export async function recordApk(): Promise<void> {
  const fx = buildApkFixture({ dataMiB: 0 });
  const up = await startFixtureServer({ root: fx.tree('v1') });
  const rec = await record('apk', up.url, [{ path: INDEX }, { path: PKG }, { method: 'HEAD', path: PKG }, { path: NO_PKG }]);
  await up.close();
  const get = (p: string) => rec.ex(`GET ${p}`);
  const cold = { [`GET ${INDEX}`]: 1 };
  const pkg = rec.bytes(get(PKG)), index = rec.bytes(get(INDEX));
  // one byte of the control member's gzip header (MTIME): the package still decodes, its C: no longer matches
  const controlMtime = gzipMember(pkg, 0).length + 4;
  writeScenarios(rec, [
    {
      name: 'cold-generation',
      instance,
      exchanges: [get(INDEX)],
      expect: [
        expect(INDEX, { status: 200, x_cache: 'MISS', body_sha256: sha256(index), headers: gen(1), ...c(cold) }),
        expect(INDEX, { status: 200, x_cache: 'GENERATION', body_sha256: sha256(index), headers: gen(1), ...c(cold) }),
        expect(`HEAD ${INDEX}`, { status: 200, x_cache: 'GENERATION', headers: { 'content-length': String(index.length) }, ...c(cold) }),
      ],
    },
    {
      name: 'packages',
      instance,
      exchanges: [get(INDEX), get(PKG)],
      expect: [
        expect(INDEX, { status: 200, x_cache: 'MISS', ...c(cold) }),
        ...packageKept(PKG, pkg),
      ],
    },
    {
      name: 'artifact-check',
      instance,
      exchanges: [get(INDEX), { ...get(PKG), fault: 'flip_byte', fault_at: controlMtime }, get(PKG)],
      expect: [
        expect(INDEX, { status: 200, x_cache: 'MISS', ...c(cold) }),
        // same size, but the control segment's SHA-1 is not the index's C:: 502, nothing stored, upstream again
        ...packageRefusedThenKept(PKG, pkg),
      ],
    },
    {
      name: 'not-found',
      instance,
      exchanges: [get(NO_PKG)],
      expect: [
        ...packageMissing(NO_PKG),
      ],
    },
  ]);
}
