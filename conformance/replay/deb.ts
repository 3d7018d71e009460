// deb mode replays, recorded from the deb fixture tree v1 (conformance/fixtures/deb/make.sh: dpkg-deb,
// apt-ftparchive, gpg; cp-data's payload left empty) served by the conformance fixture server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer } from '../harness/fixture.js';
import { buildDebFixture, pinnedSha256 } from '../harness/deb.js';
import { record, writeScenarios, expect, sha256 } from './scenario.js';
import { counts as c, generation as gen, packageKept, packageMissing, packageRefusedThenKept } from './linux-repo-expect.js';

const SUITE = '/dists/bookworm', NO_SUITE = '/dists/nosuch';
const IN = `${SUITE}/InRelease`, REL = `${SUITE}/Release`, GPG = `${SUITE}/Release.gpg`;
const XZ = `${SUITE}/main/binary-amd64/Packages.xz`;
const DEB = '/pool/main/c/cp-hello/cp-hello_1.0_all.deb', NO_DEB = '/pool/main/c/cp-none/cp-none_1.0_all.deb';

const instance = `
route: { path: /deb }
upstreams: [\${UPSTREAM}]
`;

export async function recordDeb(): Promise<void> {
  const fx = buildDebFixture({ dataMiB: 0 });
  const tree = fx.tree('v1');
  // apt asks for Packages.xz by its SHA256 (Acquire-By-Hash: yes)
  const BYHASH = `${SUITE}/main/binary-amd64/by-hash/SHA256/${pinnedSha256(readFileSync(join(tree, IN.slice(1)), 'utf8'), 'main/binary-amd64/Packages.xz')}`;
  const up = await startFixtureServer({ root: tree });
  const rec = await record('deb', up.url, [
    { path: IN }, { path: REL }, { path: GPG }, { path: BYHASH }, { path: DEB }, { method: 'HEAD', path: DEB }, { path: NO_DEB },
    { path: `${NO_SUITE}/InRelease` }, { path: `${NO_SUITE}/Release` }, { path: `${NO_SUITE}/Release.gpg` },
  ]);
  await up.close();
  const get = (p: string) => rec.ex(`GET ${p}`);
  const hash = (p: string) => sha256(rec.bytes(get(p)));
  const primary = [get(IN), get(REL), get(GPG)];
  const cold = { [`GET ${IN}`]: 1, [`GET ${REL}`]: 1, [`GET ${GPG}`]: 1 };
  const deb = rec.bytes(get(DEB));
  writeScenarios(rec, [
    {
      name: 'cold-generation',
      instance,
      exchanges: primary,
      expect: [
        // the first request of a suite builds generation 1 from InRelease, Release and Release.gpg
        expect(IN, { status: 200, x_cache: 'MISS', body_sha256: hash(IN), headers: gen(1), ...c(cold) }),
        expect(IN, { status: 200, x_cache: 'GENERATION', body_sha256: hash(IN), headers: gen(1), ...c(cold) }),
        expect(`HEAD ${IN}`, { status: 200, x_cache: 'GENERATION', headers: { 'content-length': String(rec.bytes(get(IN)).length) }, ...c(cold) }),
        expect(REL, { status: 200, x_cache: 'GENERATION', body_sha256: hash(REL), ...c(cold) }),
        expect(GPG, { status: 200, x_cache: 'GENERATION', body_sha256: hash(GPG), ...c(cold) }),
      ],
    },
    {
      name: 'indexes-and-pool',
      instance,
      exchanges: [...primary, get(BYHASH), get(DEB)],
      expect: [
        expect(IN, { status: 200, x_cache: 'MISS', ...c(cold) }),
        // the index apt asks for by hash is fetched by hash, verified against the pins, added to the generation
        expect(BYHASH, { status: 200, x_cache: 'MISS', body_sha256: hash(BYHASH), headers: gen(1), ...c({ [`GET ${BYHASH}`]: 1 }) }),
        expect(BYHASH, { status: 200, x_cache: 'HIT', body_sha256: hash(BYHASH), ...c({ [`GET ${BYHASH}`]: 1 }) }),
        // the same bytes under their listed name, no upstream request
        expect(XZ, { status: 200, x_cache: 'GENERATION', body_sha256: hash(BYHASH), ...c({ [`GET ${BYHASH}`]: 1, [`GET ${XZ}`]: 0 }) }),
        // a pool file is cached by the engine, not served from a generation
        ...packageKept(DEB, deb),
      ],
    },
    {
      name: 'artifact-verify',
      instance,
      exchanges: [...primary, get(BYHASH), { ...get(DEB), fault: 'flip_byte', fault_at: 400 }, get(DEB)],
      expect: [
        expect(IN, { status: 200, x_cache: 'MISS', ...c(cold) }),
        expect(BYHASH, { status: 200, x_cache: 'MISS', ...c({ [`GET ${BYHASH}`]: 1 }) }),
        // the .deb does not match the SHA256 its Packages lists: 502, nothing stored, upstream again
        ...packageRefusedThenKept(DEB, deb),
      ],
    },
    {
      name: 'head-miss',
      instance,
      exchanges: [rec.ex(`HEAD ${DEB}`), get(DEB)],
      expect: [
        expect(`HEAD ${DEB}`, { status: 200, x_cache: 'MISS', headers: { 'content-length': String(deb.length) }, ...c({ [`HEAD ${DEB}`]: 1, [`GET ${DEB}`]: 0 }) }),
        expect(DEB, { status: 200, x_cache: 'MISS', body_sha256: sha256(deb), ...c({ [`HEAD ${DEB}`]: 1, [`GET ${DEB}`]: 1 }) }),
        expect(`HEAD ${DEB}`, { status: 200, x_cache: 'HIT', headers: { 'content-length': String(deb.length) }, ...c({ [`HEAD ${DEB}`]: 1, [`GET ${DEB}`]: 1 }) }),
      ],
    },
    {
      name: 'not-found',
      instance,
      exchanges: [get(NO_DEB), get(`${NO_SUITE}/InRelease`), get(`${NO_SUITE}/Release`), get(`${NO_SUITE}/Release.gpg`)],
      expect: [
        ...packageMissing(NO_DEB),
        expect(`HEAD ${NO_DEB}`, { status: 404, x_cache: 'NEGATIVE', ...c({ [`GET ${NO_DEB}`]: 1, [`HEAD ${NO_DEB}`]: 0 }) }),
        // a suite no upstream has: probed once (all three primary names), the request passed through
        expect(`${NO_SUITE}/InRelease`, { status: 404, x_cache: 'PASSTHROUGH', ...c({ [`GET ${NO_SUITE}/InRelease`]: 2, [`GET ${NO_SUITE}/Release`]: 1, [`GET ${NO_SUITE}/Release.gpg`]: 1 }) }),
        // the missing root is remembered: no new probe, only the pass-through
        expect(`${NO_SUITE}/InRelease`, { status: 404, x_cache: 'PASSTHROUGH', ...c({ [`GET ${NO_SUITE}/InRelease`]: 3, [`GET ${NO_SUITE}/Release`]: 1, [`GET ${NO_SUITE}/Release.gpg`]: 1 }) }),
      ],
    },
  ]);
}
