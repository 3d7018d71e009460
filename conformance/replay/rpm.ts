// rpm mode replays, recorded from the rpm fixture tree v1 (conformance/fixtures/rpm/make.sh: rpmbuild,
// createrepo_c, gpg; cp-data's payload left empty) served by the conformance fixture server.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer } from '../harness/fixture.js';
import { buildRpmFixture } from '../harness/rpm.js';
import { record, writeScenarios, expect, sha256 } from './scenario.js';
import { counts as c, generation as gen, packageKept, packageMissing, packageRefusedThenKept } from './linux-repo-expect.js';

const REPOMD = '/repodata/repomd.xml', ASC = `${REPOMD}.asc`, KEY = `${REPOMD}.key`;
const NO_ROOT = '/nosuch/repodata/repomd.xml';
const RPM = '/Packages/cp-hello-1.0-1.noarch.rpm', NO_RPM = '/Packages/cp-none-1.0-1.noarch.rpm';

const instance = `
route: { path: /rpm }
upstreams: [\${UPSTREAM}]
`;

export async function recordRpm(): Promise<void> {
  const fx = buildRpmFixture({ dataMiB: 0 });
  const tree = fx.tree('v1');
  const named = (suffix: string) => `/repodata/${readdirSync(join(tree, 'repodata')).find((n) => n.endsWith(suffix))!}`;
  const PRIMARY = named('-primary.xml.gz'), FILELISTS = named('-filelists.xml.gz');
  const up = await startFixtureServer({ root: tree });
  const rec = await record('rpm', up.url, [
    { path: REPOMD }, { path: ASC }, { path: KEY }, { path: PRIMARY }, { path: FILELISTS }, { path: RPM }, { method: 'HEAD', path: RPM }, { path: NO_RPM },
    { path: NO_ROOT }, { path: `${NO_ROOT}.asc` }, { path: `${NO_ROOT}.key` },
  ]);
  await up.close();
  const get = (p: string) => rec.ex(`GET ${p}`);
  const hash = (p: string) => sha256(rec.bytes(get(p)));
  const primary = [get(REPOMD), get(ASC), get(KEY), get(PRIMARY)];
  const cold = { [`GET ${REPOMD}`]: 1, [`GET ${ASC}`]: 1, [`GET ${KEY}`]: 1, [`GET ${PRIMARY}`]: 1 };
  const rpm = rec.bytes(get(RPM));
  writeScenarios(rec, [
    {
      name: 'cold-generation',
      instance,
      exchanges: primary,
      expect: [
        // the first repomd.xml builds generation 1: repomd.xml, its .asc and .key (absent), and primary (always stored)
        expect(REPOMD, { status: 200, x_cache: 'MISS', body_sha256: hash(REPOMD), headers: gen(1), ...c(cold) }),
        expect(REPOMD, { status: 200, x_cache: 'GENERATION', body_sha256: hash(REPOMD), headers: gen(1), ...c(cold) }),
        expect(`HEAD ${REPOMD}`, { status: 200, x_cache: 'GENERATION', headers: { 'content-length': String(rec.bytes(get(REPOMD)).length) }, ...c(cold) }),
        // the signature is passed on untouched
        expect(ASC, { status: 200, x_cache: 'GENERATION', body_sha256: hash(ASC), ...c(cold) }),
        expect(KEY, { status: 404, x_cache: 'GENERATION', ...c(cold) }),
        // primary is in the generation already, named by its checksum
        expect(PRIMARY, { status: 200, x_cache: 'HIT', body_sha256: hash(PRIMARY), headers: gen(1), ...c(cold) }),
      ],
    },
    {
      name: 'indexes-and-packages',
      instance,
      exchanges: [...primary, get(FILELISTS), get(RPM)],
      expect: [
        expect(REPOMD, { status: 200, x_cache: 'MISS', ...c(cold) }),
        // filelists joins the generation when asked for, verified against repomd's size and sha256
        expect(FILELISTS, { status: 200, x_cache: 'MISS', body_sha256: hash(FILELISTS), headers: gen(1), ...c({ [`GET ${FILELISTS}`]: 1 }) }),
        expect(FILELISTS, { status: 200, x_cache: 'HIT', body_sha256: hash(FILELISTS), ...c({ [`GET ${FILELISTS}`]: 1 }) }),
        // a package is cached by the engine (verified against primary's checksum), not served from a generation
        ...packageKept(RPM, rpm),
      ],
    },
    {
      name: 'artifact-verify',
      instance,
      exchanges: [...primary, { ...get(RPM), fault: 'flip_byte', fault_at: 400 }, get(RPM)],
      expect: [
        expect(REPOMD, { status: 200, x_cache: 'MISS', ...c(cold) }),
        // the .rpm does not match the sha256 primary.xml lists: 502, nothing stored, upstream again
        ...packageRefusedThenKept(RPM, rpm),
      ],
    },
    {
      name: 'not-found',
      instance,
      exchanges: [get(NO_RPM), get(NO_ROOT), get(`${NO_ROOT}.asc`), get(`${NO_ROOT}.key`)],
      expect: [
        ...packageMissing(NO_RPM),
        // a repository no upstream has: probed once (the three primary names), the request passed through
        expect(NO_ROOT, { status: 404, x_cache: 'PASSTHROUGH', ...c({ [`GET ${NO_ROOT}`]: 2, [`GET ${NO_ROOT}.asc`]: 1, [`GET ${NO_ROOT}.key`]: 1 }) }),
        // the missing root is remembered: no new probe, only the pass-through
        expect(NO_ROOT, { status: 404, x_cache: 'PASSTHROUGH', ...c({ [`GET ${NO_ROOT}`]: 3, [`GET ${NO_ROOT}.asc`]: 1, [`GET ${NO_ROOT}.key`]: 1 }) }),
      ],
    },
  ]);
}
