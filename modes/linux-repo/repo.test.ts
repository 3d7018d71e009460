// The repository engine with a stand-in engine context (upstream = directories of the real-tool deb
// fixture): cold build, rollback check, publish, retention, cleanup and restart without upstream contact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControllerContext, Match, UpstreamFetch, UpstreamReply } from '../../engine/mode.js';
import { RepoInstance } from './repo.js';
import { repoSettings } from './settings.js';
import { ridOf } from './generation.js';
import type { RootGenerations } from './generation-store.js';
import { testStore, type TestStore } from './test-store.js';
import { modeBlockWithDefaults } from '../../engine/config/schema.js';
import deb from '../deb/index.js';
import { debFormat } from '../deb/format.js';
import { debFixture } from '../deb/test-fixture.js';

const fx = debFixture();
const dir = mkdtempSync(join(tmpdir(), 'cp-repo-'));
let t: TestStore;
let tree = 'v2';
const fetched: string[] = [];
const tasks: string[] = [];
const noop = () => undefined;
let dryRun = false;
/** while set, the mode's state documents wait for it before they are written (a slow disk) */
let stateGate: Promise<void> | undefined;

function fetch(o: UpstreamFetch): Promise<UpstreamReply> {
  fetched.push(o.path);
  const file = join(fx, tree, decodeURIComponent(o.path));
  const base = 'http://upstream.test';
  if (!existsSync(file)) return Promise.resolve({ status: 404, headers: {}, body: createReadStream('/dev/null'), base, url: base, release: noop });
  return Promise.resolve({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: createReadStream(file), base, url: `${base}/${o.path}`, release: noop });
}

const config = { upstreams: ['http://upstream.test'], generation_keep: 1 };
function ctx(): ControllerContext {
  return {
    config, settings, instance: 'debian', log: { debug: noop, info: noop, warn: noop, error: noop }, signal: new AbortController().signal,
    fetchThrough: async () => null, privateDir: join(dir, 'modes', 'debian'),
    pins: { get: async () => null, merge: async () => undefined }, targetAllowed: () => true, count: noop,
    state: { read: (n) => t.state.read(n), write: async (n, d) => { await stateGate; return t.state.write(n, d); } }, blobs: t.blobs,
    fetch, tasks: { add: (t) => tasks.push(t.target), remove: noop, trigger: noop },
    metrics: { counter: () => ({ inc: noop }), histogram: () => ({ observe: noop }), gauge: () => ({ set: noop }) },
    events: { emit: noop }, cache: { list: async function* () { /* no artifacts */ }, delete: async () => undefined },
    get cleanup() { return { dryRun, batchSize: 500 }; },
  };
}
const match = (path: string): Match => ({ method: 'GET', path, headers: {}, query: new URLSearchParams(), params: {}, segments: path.split('/'), trailingSlash: false, config });
const settings = repoSettings(modeBlockWithDefaults(deb, config));
let repo: RepoInstance;
const signal = new AbortController().signal;
type Status = { roots: { root: string; generation: number }[] };
const ROOT = 'deb_distribution:dists/bookworm';
const generation = async () => ((await repo.status()) as Status).roots.find((r) => r.root === ROOT)?.generation;
/** generation numbers in the root's state document, newest first */
const storedGenerations = async () => ((await t.state.read(`gen-${ridOf(ROOT)}`)) as RootGenerations).manifests.map((m) => m.n);

test.before(async () => { t = await testStore(dir); repo = new RepoInstance(debFormat, ctx(), settings); });

test('cold: the first request builds generation 1 and registers the root refresh task', async () => {
  await repo.setup();
  const r = await repo.respond(match('dists/bookworm/InRelease'));
  assert.is(r.status, 200);
  assert.is(r.headers!['x-cache'], 'MISS', 'the request that built the generation');
  assert.is((await repo.respond(match('dists/bookworm/InRelease'))).headers!['x-cache'], 'GENERATION');
  assert.ok(readFileSync(r.file!.path).equals(readFileSync(join(fx, 'v2/dists/bookworm/InRelease'))));
  assert.is(await generation(), 1);
  assert.is(tasks.length, 1);
  const pk = await repo.respond(match('dists/bookworm/main/binary-amd64/Packages.xz'));
  assert.is(pk.headers!['x-cache'], 'MISS');
  assert.equal(await repo.expected('pool/main/c/cp-hello/cp-hello_2.0_all.deb').then((e) => e?.size), readFileSync(join(fx, 'v2/pool/main/c/cp-hello/cp-hello_2.0_all.deb')).length);
});

test('rollback check: an upstream serving an older Release is "behind"; the generation stays', async () => {
  tree = 'v1';
  let err = '';
  try { await repo.refresh(ROOT, signal); } catch (e) { err = (e as Error).message; }
  assert.match(err, /upstream behind/);
  assert.is(await generation(), 1);
});

test('a newer state publishes generation 2 with the wanted files; cleanup drops generation 1 (generation_keep 1)', async () => {
  tree = 'v3';
  const CP_DATA = 'pool/main/c/cp-data/cp-data_1.0_all.deb';
  assert.ok(await repo.expected(CP_DATA), 'generation 1 lists cp-data (the answer is remembered)');
  let open!: () => void;
  stateGate = new Promise((r) => { open = r; });
  const refreshed = repo.refresh(ROOT, signal);
  for (let i = 0; i < 500 && (await generation()) !== 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.is(await generation(), 2, 'generation 2 is served while its state document is still being written');
  assert.is(await repo.expected(CP_DATA), null, 'what is served is what artifacts are checked against, from that moment');
  open();
  stateGate = undefined;
  assert.is(await refreshed, 'updated');
  assert.is(await generation(), 2);
  assert.is(await repo.expected(CP_DATA), null, 'v3 no longer lists cp-data');
  const stored = async () => ((await t.state.read(`gen-${ridOf(ROOT)}`)) as RootGenerations).manifests;
  const [two, one] = await stored();
  dryRun = true;
  assert.is(await repo.cleanup(signal), 'unchanged');
  assert.equal(await storedGenerations(), [2, 1], 'dry run deletes nothing');
  assert.ok(t.holds.has(one!.index!), 'generation 1 and its package index stay held');
  dryRun = false;
  assert.is(await repo.cleanup(signal), 'updated');
  assert.equal(await storedGenerations(), [2]);
  assert.ok(t.holds.has(two!.index!));
});

test('restart: roots, generation 2 and its package index come back with no upstream contact', async () => {
  await repo.stop();
  repo = new RepoInstance(debFormat, ctx(), settings);
  const before = fetched.length;
  await repo.setup();
  assert.is(await generation(), 2);
  const r = await repo.respond(match('dists/bookworm/main/binary-amd64/Packages.xz'));
  assert.is(r.headers!['x-cache'], 'GENERATION');
  assert.ok(readFileSync(r.file!.path).equals(readFileSync(join(fx, 'v3/dists/bookworm/main/binary-amd64/Packages.xz'))));
  assert.ok(await repo.expected('pool/main/c/cp-hello/cp-hello_2.0_all.deb'));
  assert.is(fetched.length, before);
});

test.after(async () => { await t.store.close(); rmSync(dir, { recursive: true, force: true }); });
test.run();
