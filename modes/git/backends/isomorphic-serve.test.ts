// The isomorphic-git backend's answers compared with what `git upload-pack --stateless-rpc` writes for the
// same requests (negotiation lines, shallow lines, ls-refs), and its packs checked by git's index-pack.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitEnv } from '../git-process.js';
import { pktLine } from '../pkt-line.js';
import { ObjectStore } from './isomorphic-objects.js';
import { advertiseV0, exchangeV0, fetchV2, lsRefs, type RefView } from './isomorphic-serve.js';

const dir = mkdtempSync(join(tmpdir(), 'cp-iso-serve-'));
const env = { ...gitEnv(), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const sh = (args: string[], o: { cwd?: string; input?: Buffer; env?: NodeJS.ProcessEnv } = {}) =>
  execFileSync('git', args, { cwd: o.cwd, input: o.input, stdio: ['pipe', 'pipe', 'pipe'], env: { ...env, ...o.env }, maxBuffer: 64 << 20 });
const text = (args: string[], cwd?: string) => sh(args, { cwd }).toString().trim();

const work = join(dir, 'w'), repo = join(dir, 'r.git');
text(['init', '--quiet', '-b', 'main', work]);
for (let i = 1; i <= 6; i++) {
  writeFileSync(join(work, 'f.txt'), `line ${i}\n`.repeat(i));
  writeFileSync(join(work, `n${i}.txt`), `${i}\n`);
  text(['add', '-A'], work);
  text(['commit', '--quiet', '-m', `c${i}`], work);
  if (i === 3) text(['tag', '-a', 'v1', '-m', 'one'], work);
}
text(['checkout', '--quiet', '-b', 'dev', 'HEAD~2'], work);
writeFileSync(join(work, 'dev.txt'), 'dev\n');
text(['add', '-A'], work);
text(['commit', '--quiet', '-m', 'dev'], work);
text(['checkout', '--quiet', 'main'], work);
text(['clone', '--quiet', '--bare', work, repo]);
text(['config', 'uploadpack.allowFilter', 'true'], repo);
const rev = (r: string) => text(['rev-parse', r], repo);
const MAIN = rev('main'), DEV = rev('dev'), TAG = rev('v1');

const store = new ObjectStore(repo);
const view: RefView = { refs: { 'refs/heads/main': MAIN, 'refs/heads/dev': DEV, 'refs/tags/v1': TAG }, head: 'refs/heads/main', peeled: { 'refs/tags/v1': rev('v1^{}') } };
const limits = { maxPackSize: 1 << 20 };
const caps = 'multi_ack_detailed side-band-64k ofs-delta shallow no-progress include-tag';
const real = (body: string, v2 = false) => sh(['upload-pack', '--stateless-rpc', repo], { input: Buffer.from(body), env: v2 ? { GIT_PROTOCOL: 'version=2' } : {} });
const bodyOf = (r: { body?: unknown }) => r.body as Buffer;

/** text packets (flush as 0000, delim as 0001) and the pack carried on side-band channel 1 */
function demux(b: Buffer): { lines: string[]; pack: Buffer } {
  const lines: string[] = [], pack: Buffer[] = [];
  let at = 0;
  while (at + 4 <= b.length) {
    const len = Number.parseInt(b.toString('latin1', at, at + 4), 16);
    if (len < 4) { lines.push(b.toString('latin1', at, at + 4)); at += 4; continue; }
    const data = b.subarray(at + 4, at + len);
    if (data[0] === 1) pack.push(data.subarray(1));
    else if (data[0] !== 2) lines.push(data.toString('latin1'));
    at += len;
  }
  return { lines, pack: Buffer.concat(pack) };
}

/** the object ids of a pack, as git's index-pack reads them (which also checks the trailer and every id) */
function packedIds(pack: Buffer): string[] {
  const p = join(dir, `t${Math.random().toString(36).slice(2)}.pack`);
  writeFileSync(p, pack);
  text(['index-pack', p], repo);
  const listed = sh(['show-index'], { cwd: repo, input: readFileSync(p.replace(/\.pack$/, '.idx')) }).toString();
  return listed.split('\n').filter(Boolean).map((l) => l.split(' ')[1]!).sort();
}
const revList = (args: string[]) => text(['rev-list', '--objects', ...args], repo).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean).sort();

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('v0 advertisement: HEAD with capabilities first, refs sorted, annotated tag peeled', () => {
  const a = advertiseV0(view, 'cache-proxy/t').toString('latin1');
  assert.ok(a.startsWith('001e# service=git-upload-pack\n0000'));
  assert.match(a, new RegExp(`${MAIN} HEAD\\0multi_ack_detailed [^\\n]*symref=HEAD:refs/heads/main object-format=sha1 agent=cache-proxy/t\\n`));
  const names = [...a.matchAll(/[0-9a-f]{4}[0-9a-f]{40} ([^\0\n]+)/g)].map((m) => m[1]);
  assert.equal(names, ['HEAD', 'refs/heads/dev', 'refs/heads/main', 'refs/tags/v1', 'refs/tags/v1^{}']);
  assert.ok(a.endsWith('0000'));
});

test('v2 ls-refs: the same bytes as git upload-pack (symrefs, peel, ref-prefix)', () => {
  for (const args of [['symrefs', 'peel'], ['symrefs', 'ref-prefix HEAD', 'ref-prefix refs/heads/'], ['peel', 'ref-prefix refs/tags/']]) {
    const body = pktLine('command=ls-refs\n') + '0001' + args.map((x) => pktLine(`${x}\n`)).join('') + '0000';
    assert.is(lsRefs(view, Buffer.from(body)).toString('latin1'), real(body, true).toString('latin1'), args.join(','));
  }
});

test('v0 negotiation round (haves, no done): ACK common, ready, NAK, exactly as git', async () => {
  const body = pktLine(`want ${MAIN} ${caps}\n`) + '0000' + pktLine(`have ${rev('main~2')}\n`) + '0000';
  assert.is(bodyOf(await exchangeV0(view, Buffer.from(body), store, limits)).toString('latin1'), real(body).toString('latin1'));
  const none = pktLine(`want ${MAIN} ${caps}\n`) + '0000' + pktLine(`have ${'1'.repeat(40)}\n`) + '0000';
  assert.is(bodyOf(await exchangeV0(view, Buffer.from(none), store, limits)).toString('latin1'), real(none).toString('latin1'));
});

test('v0 done with a have: the same lines as git, then a pack of exactly what the client lacks', async () => {
  const base = rev('main~2');
  const body = pktLine(`want ${MAIN} ${caps}\n`) + pktLine(`want ${DEV}\n`) + '0000' + pktLine(`have ${base}\n`) + pktLine('done\n');
  const ours = demux(bodyOf(await exchangeV0(view, Buffer.from(body), store, limits)));
  const theirs = demux(real(body));
  assert.equal(ours.lines, theirs.lines);
  assert.equal(packedIds(ours.pack), revList(['main', 'dev', '--not', base]));
});

test('v0 deepen: the shallow lines git would send; the pack holds the tip commit and its whole tree', async () => {
  const first = pktLine(`want ${MAIN} ${caps}\n`) + pktLine('deepen 2\n') + '0000';
  assert.is(bodyOf(await exchangeV0(view, Buffer.from(first), store, limits)).toString('latin1'), real(first).toString('latin1'));
  const done = first + pktLine('done\n');
  const ours = demux(bodyOf(await exchangeV0(view, Buffer.from(done), store, limits)));
  assert.equal(ours.lines, demux(real(done)).lines);
  const expected = [...new Set([MAIN, rev('main~1'), ...revList([`${MAIN}^{tree}`]), ...revList([`${rev('main~1')}^{tree}`])])].sort();
  assert.equal(packedIds(ours.pack), expected);
});

test('v2 fetch: acknowledgments with ready, then the packfile; blob:none leaves blobs out; include-tag adds the tag', async () => {
  const base = rev('main~4');
  const body = pktLine('command=fetch\n') + '0001' + pktLine('no-progress\n') + pktLine(`want ${MAIN}\n`) + pktLine(`have ${base}\n`) + pktLine('include-tag\n') + '0000';
  const ours = demux(bodyOf(await fetchV2(view, Buffer.from(body), store, limits)));
  const theirs = demux(real(body, true));
  assert.equal(ours.lines, theirs.lines);
  assert.equal(packedIds(ours.pack), [...revList(['main', '--not', base]), TAG].sort(), 'v1 points at main~3, which is sent: its tag object comes along');
  const waiting = pktLine('command=fetch\n') + '0001' + pktLine('no-progress\n') + pktLine('wait-for-done\n') + pktLine(`want ${MAIN}\n`) + pktLine(`have ${base}\n`) + '0000';
  assert.is(bodyOf(await fetchV2(view, Buffer.from(waiting), store, limits)).toString('latin1'), real(waiting, true).toString('latin1'), 'wait-for-done: no ready, no pack');
  const filtered = pktLine('command=fetch\n') + '0001' + pktLine(`want ${MAIN}\n`) + pktLine('filter blob:none\n') + pktLine('done\n') + '0000';
  const got = packedIds(demux(bodyOf(await fetchV2(view, Buffer.from(filtered), store, limits))).pack);
  assert.equal(got, revList(['--filter=blob:none', 'main']));
});

test('refused requests: an ERR packet naming backend: git (unsupported filter, deepen-since), git\'s message for an unknown want', async () => {
  const f = pktLine('command=fetch\n') + '0001' + pktLine(`want ${MAIN}\n`) + pktLine('filter tree:0\n') + pktLine('done\n') + '0000';
  assert.match(bodyOf(await fetchV2(view, Buffer.from(f), store, limits)).toString(), /^[0-9a-f]{4}ERR filter "tree:0" is not supported by backend: isomorphic-git \(only blob:none\); use `backend: git`/);
  const s = pktLine(`want ${MAIN} ${caps}\n`) + pktLine('deepen-since 1577836800\n') + '0000' + pktLine('done\n');
  assert.match(bodyOf(await exchangeV0(view, Buffer.from(s), store, limits)).toString(), /ERR deepen-since is not supported by backend: isomorphic-git/);
  const bad = pktLine('command=fetch\n') + '0001' + pktLine(`want ${'3'.repeat(40)}\n`) + pktLine('done\n') + '0000';
  const ours = bodyOf(await fetchV2(view, Buffer.from(bad), store, limits)).toString();
  assert.is(ours, pktLine(`ERR upload-pack: not our ref ${'3'.repeat(40)}\n`));
});

test('a pack over max_pack_size: 503 naming backend: git, no pack bytes', async () => {
  const body = pktLine('command=fetch\n') + '0001' + pktLine(`want ${MAIN}\n`) + pktLine('done\n') + '0000';
  const r = await fetchV2(view, Buffer.from(body), store, { maxPackSize: 100 });
  assert.is(r.status, 503);
  assert.match(String(r.body), /over max_pack_size \(100 bytes\) of backend: isomorphic-git/);
});

test.run();
