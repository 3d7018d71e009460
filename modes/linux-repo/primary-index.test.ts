// A format whose primary file IS the package index (as pacman's `<repo>.db` and apk's `APKINDEX.tar.gz`):
// a small test format with a gzipped tar holding one INDEX text file publishes generations whose package
// index comes from the primary itself.
import { test } from 'uvu';
import { modeBlockWithDefaults } from '../../engine/config/schema.js';
import deb from '../deb/index.js';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { ControllerContext, Match, UpstreamFetch, UpstreamReply } from '../../engine/mode.js';
import { RepoError, type RepoFormat, type RootRef } from './format.js';
import type { PackageEntry } from './package-index.js';
import { RepoInstance } from './repo.js';
import { repoSettings } from './settings.js';
import { testStore, type TestStore } from './test-store.js';

const PRIMARY = 'INDEX.tar.gz';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** `<dir>/INDEX.tar.gz` roots; the tarball's INDEX lists `file size sha256` lines relative to the root */
const tarIndexFormat: RepoFormat = {
  name: 'tarindex',
  classify(path, known) {
    const root = known(path);
    const last = path.slice(path.lastIndexOf('/') + 1);
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (last === PRIMARY) return { type: 'primary', root: root?.path === dir ? root : { id: `tarindex:${dir}`, layout: 'tarindex', path: dir }, name: PRIMARY };
    return { type: 'passthrough' };
  },
  primaryNames: () => [PRIMARY],
  primaryIsIndex: true,
  async parsePrimary(files) {
    const b = files.get(PRIMARY);
    if (!b) throw new RepoError('E_NOT_FOUND', `no ${PRIMARY}`);
    if (b[0] !== 0x1f || b[1] !== 0x8b) throw new RepoError('E_INVALID', `${PRIMARY} is not gzip`);
    return { listed: new Map(), attrs: {}, warnings: [] };
  },
  mandatory: () => [],
  indexGroup: () => null,
  async *readIndex(_name: string, body: Readable, root: RootRef): AsyncIterable<PackageEntry> {
    const extract = tar.extract();
    body.pipe(createGunzip()).pipe(extract);
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
      if (entry.header.name !== 'INDEX') continue;
      for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
        const [file, size, hex] = line.split(' ');
        if (file && size && hex) yield { path: root.path ? `${root.path}/${file}` : file, size: Number(size), sha256: hex };
      }
    }
  },
  upstreamNames: (name) => [name],
};

async function tarGz(index: string): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'INDEX' }, index);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return gzipSync(Buffer.concat(chunks));
}

const dir = mkdtempSync(join(tmpdir(), 'cp-primary-index-'));
const upstream = new Map<string, Buffer>();
const fetched: string[] = [];
const noop = () => undefined;
let t: TestStore;

function fetch(o: UpstreamFetch): Promise<UpstreamReply> {
  fetched.push(o.path);
  const base = 'http://upstream.test';
  const b = upstream.get(decodeURIComponent(o.path));
  return Promise.resolve({ status: b ? 200 : 404, headers: {}, body: Readable.from(b ? [b] : []), base, url: `${base}/${o.path}`, release: noop });
}

const config = { upstreams: ['http://upstream.test'] };
const ctx = (): ControllerContext => ({
  config, settings, instance: 'tarindex', log: { debug: noop, info: noop, warn: noop, error: noop }, signal: new AbortController().signal,
  fetchThrough: async () => null, pins: { get: async () => null, merge: async () => undefined }, targetAllowed: () => true, count: noop,
  state: t.state, blobs: t.blobs, fetch, tasks: { add: noop, remove: noop, trigger: noop }, privateDir: '', cleanup: { dryRun: false, batchSize: 500 },
  metrics: { counter: () => ({ inc: noop }), histogram: () => ({ observe: noop }), gauge: () => ({ set: noop }) },
  events: { emit: noop }, cache: { list: async function* () { /* none */ }, delete: async () => undefined },
});
const match = (path: string): Match => ({ method: 'GET', path, headers: {}, query: new URLSearchParams(), params: {}, segments: path.split('/'), trailingSlash: false, config });
const settings = repoSettings(modeBlockWithDefaults(deb, config));
const hello = Buffer.from('hello package'), world = Buffer.from('world package, version 2');
let repo: RepoInstance;

test.before(async () => {
  t = await testStore(dir, 'tarindex');
  upstream.set(`repo/x86_64/${PRIMARY}`, await tarGz(`hello-1.0.pkg ${hello.length} ${sha256(hello)}\n`));
  repo = new RepoInstance(tarIndexFormat, ctx(), settings);
  await repo.setup();
});

test('the first request publishes generation 1; its package index comes from the primary itself', async () => {
  const r = await repo.respond(match(`repo/x86_64/${PRIMARY}`));
  assert.is(r.status, 200);
  assert.is(r.headers!['x-cache'], 'MISS');
  assert.is(r.headers!['x-cache-generation'], '1');
  assert.ok(readFileSync(r.file!.path).equals(upstream.get(`repo/x86_64/${PRIMARY}`)!));
  assert.equal(await repo.expected('repo/x86_64/hello-1.0.pkg'), { size: hello.length, sha256: sha256(hello), source: 'the repository index' });
  assert.is(await repo.expected('repo/x86_64/other.pkg'), null);
  assert.is(((await repo.status()) as { roots: { packages: number }[] }).roots[0]!.packages, 1);
});

test('a changed primary publishes generation 2 with the new index', async () => {
  upstream.set(`repo/x86_64/${PRIMARY}`, await tarGz(`world-2.0.pkg ${world.length} ${sha256(world)}\n`));
  assert.is(await repo.refresh('tarindex:repo/x86_64', new AbortController().signal), 'updated');
  const r = await repo.respond(match(`repo/x86_64/${PRIMARY}`));
  assert.is(r.headers!['x-cache'], 'GENERATION');
  assert.is(r.headers!['x-cache-generation'], '2');
  assert.equal(await repo.expected('repo/x86_64/world-2.0.pkg'), { size: world.length, sha256: sha256(world), source: 'the repository index' });
  assert.ok(await repo.expected('repo/x86_64/hello-1.0.pkg'), 'generation 1 is still retained (generation_keep 2)');
});

test('restart: generation 2 and its index come back from the engine store, no upstream contact', async () => {
  await repo.stop();
  const before = fetched.length;
  repo = new RepoInstance(tarIndexFormat, ctx(), settings);
  await repo.setup();
  assert.ok(await repo.expected('repo/x86_64/world-2.0.pkg'));
  assert.is((await repo.respond(match(`repo/x86_64/${PRIMARY}`))).headers!['x-cache-generation'], '2');
  assert.is(fetched.length, before);
});

test.after(async () => { await repo.stop(); await t.store.close(); rmSync(dir, { recursive: true, force: true }); });
test.run();
