// file mode replays, recorded from the file fixture tree (conformance/fixtures/file/make.sh with an 8 KiB
// random big.bin) served by the conformance fixture server.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, tmpDir } from '../harness/launcher.js';
import { startFixtureServer } from '../harness/fixture.js';
import { record, writeScenarios, expect, sha256 } from './scenario.js';

const BIN = '/releases/v1/big.bin', SUMS = '/releases/v1/SHA256SUMS', MISSING = '/releases/v1/missing.bin', DOC = '/docs/other.html';

const instance = (freshFor: string) => `
route: { path: /files }
upstreams: [\${UPSTREAM}]
default_policy: revalidate
fresh_for: ${freshFor}
rules:
  - { match: "releases/**/*.{zip,bin}", policy: immutable, busy_policy: join, checksum: "sums:SHA256SUMS" }
`;

export async function recordFile(): Promise<void> {
  const tree = tmpDir('file-replay-');
  execFileSync('bash', [join(repoRoot, 'conformance/fixtures/file/make.sh'), tree], { env: { ...process.env, CP_BIG_SIZE: '8K' }, stdio: 'pipe' });
  const up = await startFixtureServer({ root: tree });
  const rec = await record('file', up.url, [
    { path: BIN }, { method: 'HEAD', path: BIN }, { path: SUMS }, { path: MISSING }, { path: DOC },
  ]);
  await up.close();
  const bytes = (path: string) => rec.bytes(rec.ex(`GET ${path}`));
  const bin = sha256(bytes(BIN));
  const size = String(bytes(BIN).length);
  const slice = sha256(bytes(BIN).subarray(100, 200));
  const counts = (bins: number, sums: number) => ({ upstream_counts: { [`GET ${BIN}`]: bins, [`GET ${SUMS}`]: sums } });
  writeScenarios(rec, [
    {
      name: 'cold-hit',
      instance: instance('1m'),
      exchanges: [rec.ex(`GET ${BIN}`), rec.ex(`GET ${SUMS}`)],
      expect: [
        expect(BIN, { status: 200, x_cache: 'MISS', body_sha256: bin, ...counts(1, 1) }),
        expect(BIN, { status: 200, x_cache: 'HIT', body_sha256: bin, ...counts(1, 1) }),
        expect(`HEAD ${BIN}`, { status: 200, x_cache: 'HIT', headers: { 'content-length': size }, ...counts(1, 1) }),
        expect(BIN, { headers_sent: { range: 'bytes=100-199' }, status: 206, body_sha256: slice, headers: { 'content-range': `bytes 100-199/${size}` }, ...counts(1, 1) }),
        // the checksum source was read through the instance, so it is cached under its own rules
        expect(SUMS, { status: 200, x_cache: 'FRESH', body_sha256: sha256(bytes(SUMS)), ...counts(1, 1) }),
      ],
    },
    {
      name: 'checksum-mismatch',
      instance: instance('1m'),
      exchanges: [{ ...rec.ex(`GET ${BIN}`), fault: 'flip_byte', fault_at: 4000 }, rec.ex(`GET ${BIN}`), rec.ex(`GET ${SUMS}`)],
      expect: [
        expect(BIN, { status: 502, x_cache: 'ERROR', ...counts(1, 1) }),
        // nothing was stored: the next request goes upstream again and gets the good bytes
        expect(BIN, { status: 200, x_cache: 'MISS', body_sha256: bin, aborted: false, ...counts(2, 1) }),
        expect(BIN, { status: 200, x_cache: 'HIT', body_sha256: bin, ...counts(2, 1) }),
      ],
    },
    {
      name: 'not-found',
      instance: instance('1m'),
      exchanges: [rec.ex(`GET ${MISSING}`)],
      expect: [
        expect(MISSING, { status: 404, x_cache: 'MISS', upstream_counts: { [`GET ${MISSING}`]: 1 } }),
        expect(MISSING, { status: 404, x_cache: 'NEGATIVE', upstream_counts: { [`GET ${MISSING}`]: 1 } }),
        expect(`HEAD ${MISSING}`, { status: 404, x_cache: 'NEGATIVE', upstream_counts: { [`GET ${MISSING}`]: 1, [`HEAD ${MISSING}`]: 0 } }),
      ],
    },
    {
      name: 'head-miss',
      instance: instance('1m'),
      exchanges: [rec.ex(`HEAD ${BIN}`), rec.ex(`GET ${BIN}`), rec.ex(`GET ${SUMS}`)],
      expect: [
        // a HEAD miss is one upstream HEAD and stores nothing
        expect(`HEAD ${BIN}`, { status: 200, x_cache: 'MISS', headers: { 'content-length': size }, upstream_counts: { [`HEAD ${BIN}`]: 1, [`GET ${BIN}`]: 0 } }),
        expect(BIN, { status: 200, x_cache: 'MISS', body_sha256: bin, upstream_counts: { [`HEAD ${BIN}`]: 1, [`GET ${BIN}`]: 1 } }),
        expect(`HEAD ${BIN}`, { status: 200, x_cache: 'HIT', headers: { 'content-length': size }, upstream_counts: { [`HEAD ${BIN}`]: 1, [`GET ${BIN}`]: 1 } }),
      ],
    },
    {
      name: 'revalidate',
      instance: instance('2s'),
      exchanges: [rec.ex(`GET ${DOC}`)],
      expect: [
        expect(DOC, { status: 200, x_cache: 'MISS', body_sha256: sha256(bytes(DOC)), upstream_counts: { [`GET ${DOC}`]: 1 } }),
        expect(DOC, { status: 200, x_cache: 'FRESH', upstream_counts: { [`GET ${DOC}`]: 1 } }),
        // past fresh_for: a conditional GET answered 304 by the recorded validators
        expect(DOC, { wait_ms: 2100, status: 200, x_cache: 'HIT', body_sha256: sha256(bytes(DOC)), upstream_counts: { [`GET ${DOC}`]: 2 } }),
      ],
    },
  ]);
}
