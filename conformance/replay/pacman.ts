// pacman mode replays, recorded from the pacman fixture tree v1 (conformance/fixtures/pacman/make.sh: bsdtar,
// zstd, repo-add; cp-data's payload left empty) served by the conformance fixture server.
import { startFixtureServer } from '../harness/fixture.js';
import { buildPacmanFixture, PACMAN_REPO_DIR } from '../harness/pacman.js';
import { record, writeScenarios, expect, sha256 } from './scenario.js';
import { counts as c, generation as gen, packageKept, packageMissing, packageRefusedThenKept } from './linux-repo-expect.js';

const DIR = `/${PACMAN_REPO_DIR}`;
const DB = `${DIR}/fixture.db`, SIG = `${DIR}/fixture.db.sig`, FILES = `${DIR}/fixture.files`;
const PKG = `${DIR}/cp-hello-1.0-1-any.pkg.tar.zst`, NO_PKG = `${DIR}/cp-none-1.0-1-any.pkg.tar.zst`;

const instance = `
route: { path: /pacman }
upstreams: [\${UPSTREAM}]
`;

export async function recordPacman(): Promise<void> {
  const fx = buildPacmanFixture({ dataMiB: 0 });
  const up = await startFixtureServer({ root: fx.tree('v1') });
  const rec = await record('pacman', up.url, [
    { path: DB }, { path: SIG }, { path: FILES }, { path: `${FILES}.sig` }, { path: PKG }, { method: 'HEAD', path: PKG }, { path: NO_PKG },
  ]);
  await up.close();
  const get = (p: string) => rec.ex(`GET ${p}`);
  const hash = (p: string) => sha256(rec.bytes(get(p)));
  const cold = { [`GET ${DB}`]: 1, [`GET ${SIG}`]: 1 };
  const pkg = rec.bytes(get(PKG));
  writeScenarios(rec, [
    {
      name: 'cold-generation',
      instance,
      exchanges: [get(DB), get(SIG), get(FILES), get(`${FILES}.sig`)],
      expect: [
        // the first request of a database builds generation 1 from it and its (absent) signature
        expect(DB, { status: 200, x_cache: 'MISS', body_sha256: hash(DB), headers: gen(1), ...c(cold) }),
        expect(DB, { status: 200, x_cache: 'GENERATION', body_sha256: hash(DB), headers: gen(1), ...c(cold) }),
        expect(`HEAD ${DB}`, { status: 200, x_cache: 'GENERATION', headers: { 'content-length': String(rec.bytes(get(DB)).length) }, ...c(cold) }),
        expect(SIG, { status: 404, x_cache: 'GENERATION', ...c(cold) }),
        // the .files database joins the generation of its .db
        expect(FILES, { status: 200, x_cache: 'MISS', body_sha256: hash(FILES), headers: gen(1), ...c({ ...cold, [`GET ${FILES}`]: 1 }) }),
      ],
    },
    {
      name: 'packages',
      instance,
      exchanges: [get(DB), get(SIG), get(PKG)],
      expect: [
        expect(DB, { status: 200, x_cache: 'MISS', ...c(cold) }),
        // a package is cached by the engine, keyed by path, not served from a generation
        ...packageKept(PKG, pkg),
      ],
    },
    {
      name: 'artifact-verify',
      instance,
      exchanges: [get(DB), get(SIG), { ...get(PKG), fault: 'flip_byte', fault_at: 100 }, get(PKG)],
      expect: [
        expect(DB, { status: 200, x_cache: 'MISS', ...c(cold) }),
        // the package does not match the %SHA256SUM% of its desc: 502, nothing stored, upstream again
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
