// git mode: 50 parallel `git clone` of a ≥ 50 MiB repository (400 commits editing text files, 24 random
// binaries, some of them edited: deltas of both kinds) through a warm proxy vs straight from `git
// http-backend` behind nginx + fcgiwrap; then one clone alone. Server-side CPU seconds count the whole
// process trees (the proxy with its upload-pack children; nginx, fcgiwrap and each http-backend with its git
// children, timed by /usr/bin/time), pack
// computations are upload-pack runs for POSTed exchanges (the proxy's metric; nginx's access log). Client CPU
// seconds are each `git clone`'s user + system time with its children (index-pack, remote-http), as
// /usr/bin/time reports them: with clients and servers on the same cores, (client + server CPU) / cores is
// the shortest wall time a side can have.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort, httpGet, tmpDir, type ProxyHandle } from '../../conformance/index.js';
import { clientEnv, mirrorDir, repackedWithBitmap, startGitProxy } from '../../conformance/harness/git.js';
import { runClient } from '../../conformance/harness/client-run.js';
import { metricValue } from '../../conformance/harness/single-instance.js';
import { ensureDebianPackage } from '../peers/nginx.js';
import { median } from '../load.js';
import type { Row } from '../common.js';

const CLONES = Number(process.env.BENCH_GIT_CLONES ?? 50);
const COMMITS = 400, TEXT_FILES = 40, BINARIES = 24, BINARY_SIZE = 2 * 1024 * 1024;

/** a small deterministic generator, so every run builds the same text history */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

/** the bench repository as a bare repo, written by `git fast-import`, then repacked with a bitmap (a served repository's usual state) */
export async function buildRepository(bare: string, home: string): Promise<void> {
  const sh = (args: string[], cwd?: string) => { const r = spawnSync('git', args, { cwd, env: { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1' }, stdio: ['ignore', 'pipe', 'pipe'] }); if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`); };
  sh(['init', '--quiet', '--bare', '-b', 'main', bare]);
  const fi = spawn('git', ['fast-import', '--quiet'], { cwd: bare, env: { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1' }, stdio: ['pipe', 'ignore', 'inherit'] });
  const done = new Promise<number>((r) => fi.on('close', (c) => r(c ?? 1)));
  const put = (b: Buffer | string) => (fi.stdin.write(b) ? Promise.resolve() : new Promise<void>((r) => fi.stdin.once('drain', r)));
  const rnd = prng(42);
  const words = Array.from({ length: 4000 }, (_, i) => `w${(i * 7919 % 100003).toString(36)}${'abcdefghij'[i % 10]}`);
  const line = () => Array.from({ length: 8 + Math.floor(rnd() * 8) }, () => words[Math.floor(rnd() * words.length)]).join(' ');
  const texts = Array.from({ length: TEXT_FILES }, () => Array.from({ length: 900 }, line));
  const bins: Buffer[] = [];
  const data = async (b: Buffer | string) => { const buf = Buffer.from(b); await put(`data ${buf.length}\n`); await put(buf); await put('\n'); };
  for (let c = 0; c < COMMITS; c++) {
    await put(`commit refs/heads/main\nmark :${c + 1}\ncommitter t <t@t> ${1_600_000_000 + c * 3600} +0000\n`);
    await data(`commit ${c}`);
    if (c) await put(`from :${c}\n`);
    const touched = c === 0 ? texts.map((_, i) => i) : Array.from({ length: 4 }, () => Math.floor(rnd() * TEXT_FILES));
    for (const i of new Set(touched)) {
      const t = texts[i]!;
      if (c) { for (let k = 0; k < 6; k++) t[Math.floor(rnd() * t.length)] = line(); t.push(line(), line()); }
      await put(`M 100644 inline src/f${i}.txt\n`);
      await data(`${t.join('\n')}\n`);
    }
    if (c % 16 === 8) {
      // a new random binary, or a few KiB rewritten in an existing one (a binary delta)
      if (bins.length < BINARIES && (bins.length < 8 || rnd() < 0.7)) bins.push(randomBytes(BINARY_SIZE));
      else { const i = Math.floor(rnd() * bins.length); bins[i] = Buffer.concat([bins[i]!.subarray(0, BINARY_SIZE / 2), randomBytes(4096), bins[i]!.subarray(BINARY_SIZE / 2 + 4096)]); }
      for (let i = 0; i < bins.length; i++) { await put(`M 100644 inline assets/b${i}.bin\n`); await data(bins[i]!); }
    }
  }
  for (let b = bins.length; b < BINARIES; b++) bins.push(randomBytes(BINARY_SIZE));
  await put(`commit refs/heads/main\nmark :${COMMITS + 1}\ncommitter t <t@t> ${1_600_000_000 + COMMITS * 3600} +0000\n`);
  await data('the remaining binaries');
  await put(`from :${COMMITS}\n`);
  for (let i = 0; i < bins.length; i++) { await put(`M 100644 inline assets/b${i}.bin\n`); await data(bins[i]!); }
  fi.stdin.end();
  if (await done !== 0) throw new Error('git fast-import failed');
  sh(['repack', '-a', '-d', '-q', '--write-bitmap-index'], bare);
  sh(['config', 'http.receivepack', 'false'], bare);
}

interface Direct { url: string; pids(): number[]; cgiCpu(): number; posts(): number; stop(): Promise<void> }

/** `git http-backend` behind nginx + fcgiwrap (a process per request, up to CLONES at once) */
async function startDirect(root: string, d: string): Promise<Direct> {
  ensureDebianPackage('nginx', 'nginx');
  ensureDebianPackage('fcgiwrap', 'fcgiwrap');
  mkdirSync(join(d, 'tmp'), { recursive: true });
  const sock = join(d, 'fcgi.sock');
  // fcgiwrap's workers ignore SIGCHLD: their CGI processes are reaped by the kernel and their CPU time never
  // reaches the workers' children times. Each http-backend (with its upload-pack and pack-objects) therefore
  // runs under /usr/bin/time, which appends its user + system seconds to a log.
  const cgiLog = join(d, 'cgi.time'), cgi = join(d, 'http-backend.sh');
  writeFileSync(cgi, `#!/bin/sh\nexec /usr/bin/time -a -o ${cgiLog} -f 'CPU %U %S' /usr/lib/git-core/git-http-backend\n`, { mode: 0o755 });
  const fcgi = spawn('fcgiwrap', ['-c', String(CLONES), '-s', `unix:${sock}`], { stdio: 'ignore', detached: true });
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  const port = await freePort();
  const log = join(d, 'access.log');
  writeFileSync(join(d, 'nginx.conf'), `user root; daemon off; worker_processes 2; pid ${d}/nginx.pid; error_log ${d}/err.log;
events { worker_connections 4096; }
http { log_format m '$request_method $uri'; access_log ${log} m; client_body_temp_path ${d}/tmp; fastcgi_temp_path ${d}/tmp;
  server { listen 127.0.0.1:${port}; location / {
    include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME ${cgi};
    fastcgi_param GIT_PROJECT_ROOT ${root}; fastcgi_param GIT_HTTP_EXPORT_ALL 1;
    fastcgi_param PATH_INFO $uri; fastcgi_param GIT_PROTOCOL $http_git_protocol; fastcgi_pass unix:${sock}; } } }
`);
  const nginx = spawn('nginx', ['-c', join(d, 'nginx.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const children = (pid: number) => spawnSync('pgrep', ['-P', String(pid)]).stdout.toString().split('\n').filter(Boolean).map(Number);
  const exited = (p: ChildProcess) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(undefined) : p.once('exit', r)));
  return {
    url: `http://127.0.0.1:${port}`,
    pids: () => [nginx.pid!, ...children(nginx.pid!), fcgi.pid!, ...children(fcgi.pid!)],
    cgiCpu: () => (existsSync(cgiLog) ? [...readFileSync(cgiLog, 'utf8').matchAll(/CPU ([\d.]+) ([\d.]+)/g)].reduce((n, m) => n + Number(m[1]) + Number(m[2]), 0) : 0),
    posts: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('POST ') && l.endsWith('/git-upload-pack')).length : 0),
    stop: async () => {
      nginx.kill('SIGTERM');
      process.kill(-fcgi.pid!, 'SIGTERM'); // fcgiwrap and its preforked children: the group it leads
      await Promise.all([exited(nginx), exited(fcgi)]);
    },
  };
}

/** CPU seconds of processes and of their children that ended (user + system, /proc/<pid>/stat) */
function treeCpu(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    let stat: string;
    try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
    const f = stat.split(') ')[1]!.split(' ');
    sum += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  }
  return sum;
}

interface Round { ms: number; cpu: number; clientCpu: number; runs: number }

/** user + system seconds that /usr/bin/time wrote for one client (its children included) */
function clientCpu(file: string): number {
  const m = /CPU ([\d.]+) ([\d.]+)/.exec(readFileSync(file, 'utf8'));
  if (!m) throw new Error(`no CPU times in ${file}`);
  return Number(m[1]) + Number(m[2]);
}
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

export async function gitBench(): Promise<Row[]> {
  const T = tmpDir('bench-git-');
  const root = join(T, 'repos'), home = join(T, 'home'), work = join(T, 'clones');
  for (const p of [root, home, work]) mkdirSync(p, { recursive: true });
  let t0 = performance.now();
  await buildRepository(join(root, 'big.git'), home);
  const size = Number(spawnSync('du', ['-sb', join(root, 'big.git')]).stdout.toString().split('\t')[0]);
  process.stderr.write(`  repository: ${(size / 2 ** 20).toFixed(1)} MiB, built in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const direct = await startDirect(root, join(T, 'nginx'));
  let proxy: ProxyHandle | undefined;
  try {
    const started = await startGitProxy(`      repositories:\n        - { path: big, upstream: "${direct.url}/big.git" }\n      clone_wait: 10m\n`);
    proxy = started.proxy;
    const ours = `${started.url}/big`, theirs = `${direct.url}/big.git`;
    t0 = performance.now();
    const warm = await httpGet(`${ours}/info/refs?service=git-upload-pack`, { headers: { 'git-protocol': 'version=2' } });
    if (warm.status !== 200) throw new Error(`warming the proxy failed: ${warm.status}`);
    process.stderr.write(`  proxy warmed (mirror cloned) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    // the clones measure the mirror at rest: after the background repack that follows its first clone
    const mirror = mirrorDir(proxy.backend);
    if (!mirror) throw new Error('the mirror is not in the proxy store');
    for (const end = Date.now() + 600_000; !repackedWithBitmap(mirror); await new Promise((r) => setTimeout(r, 200)))
      if (Date.now() > end) throw new Error('the mirror was not repacked with a bitmap within 10 min');
    process.stderr.write(`  mirror repacked with a bitmap ${((performance.now() - t0) / 1000).toFixed(1)} s after the warming request\n`);
    let n = 0;
    const runsOf = async () => (proxy ? metricValue(proxy.url, 'cache_proxy_git_pack_runs_total', { instance: 'git', repo: 'big' }) : 0);
    const side = (url: string, serverCpu: () => number, runs: () => Promise<number> | number) => async (count: number): Promise<Round> => {
      const dirs = Array.from({ length: count }, () => join(work, `c${n++}`));
      const [cpu0, runs0] = [serverCpu(), await runs()];
      const t = performance.now();
      const rs = await Promise.all(dirs.map((d) => runClient('/usr/bin/time', ['-f', 'CPU %U %S', '-o', `${d}.time`, 'git', 'clone', '--quiet', '--no-checkout', url, d], { env: clientEnv(home), timeoutMs: 900_000 })));
      const ms = performance.now() - t;
      const cpu = serverCpu() - cpu0;
      const clients = dirs.reduce((sum, d) => sum + clientCpu(`${d}.time`), 0);
      const bad = rs.findIndex((r) => r.code !== 0);
      if (bad >= 0) throw new Error(`clone of ${url} failed: ${rs[bad]!.out.slice(0, 500)}`);
      const tip = spawnSync('git', ['--git-dir', join(dirs[0]!, '.git'), 'rev-parse', 'HEAD']).stdout.toString().trim();
      for (const d of dirs) { rmSync(d, { recursive: true, force: true }); rmSync(`${d}.time`, { force: true }); }
      if (!/^[0-9a-f]{40}$/.test(tip)) throw new Error(`the clone of ${url} has no HEAD`);
      return { ms, cpu, clientCpu: clients, runs: (await runs()) - runs0 };
    };
    const viaProxy = side(ours, () => treeCpu([proxy!.pid]), runsOf);
    const viaDirect = side(theirs, () => treeCpu(direct.pids()) + direct.cgiCpu(), () => direct.posts());
    // one clone alone, alternating; then the parallel runs, alternating
    const loadBefore = load();
    const lone: Record<'ours' | 'direct', Round[]> = { ours: [], direct: [] };
    for (let i = 0; i < 3; i++) { lone.ours.push(await viaProxy(1)); lone.direct.push(await viaDirect(1)); }
    const many: Record<'ours' | 'direct', Round[]> = { ours: [], direct: [] };
    const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
    for (let i = 0; i < rounds; i++) { many.direct.push(await viaDirect(CLONES)); many.ours.push(await viaProxy(CLONES)); }
    const med = (rs: Round[], k: keyof Round) => median(rs.map((r) => r[k]));
    const cores = availableParallelism();
    process.stderr.write(`  load average (1, 5, 15 min) before the clones: ${loadBefore}; after: ${load()}\n`);
    for (const [side, rs] of [['ours', many.ours], ['direct', many.direct]] as const) {
      const floor = (med(rs, 'clientCpu') + med(rs, 'cpu')) / cores;
      process.stderr.write(`  ${CLONES} clones, ${side}: clients CPU ${med(rs, 'clientCpu').toFixed(1)} s + server CPU ${med(rs, 'cpu').toFixed(1)} s over ${cores} cores = at least ${floor.toFixed(1)} s of wall time\n`);
    }
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const desc = `${(size / 2 ** 20).toFixed(0)} MiB, ${COMMITS} commits`;
    return [
      {
        bench: `git: ${CLONES} parallel clones (${desc}, --no-checkout)`,
        ours: `${s(med(many.ours, 'ms'))}, server CPU ${med(many.ours, 'cpu').toFixed(1)} s, clients CPU ${med(many.ours, 'clientCpu').toFixed(1)} s, ${med(many.ours, 'runs')} upload-pack runs for ${CLONES * 2} POSTs`,
        reference: `nginx + fcgiwrap + git http-backend ${s(med(many.direct, 'ms'))}, server CPU ${med(many.direct, 'cpu').toFixed(1)} s, clients CPU ${med(many.direct, 'clientCpu').toFixed(1)} s, ${med(many.direct, 'runs')} upload-pack runs`,
        ratio: `${(med(many.ours, 'ms') / med(many.direct, 'ms')).toFixed(2)}× time`,
        goal: '≤ 0.5× time; 1 pack computation',
      },
      {
        bench: `git: one clone alone (${desc}, --no-checkout)`,
        ours: `${s(med(lone.ours, 'ms'))}, server CPU ${med(lone.ours, 'cpu').toFixed(2)} s, client CPU ${med(lone.ours, 'clientCpu').toFixed(2)} s`,
        reference: `nginx + fcgiwrap + git http-backend ${s(med(lone.direct, 'ms'))}, server CPU ${med(lone.direct, 'cpu').toFixed(2)} s, client CPU ${med(lone.direct, 'clientCpu').toFixed(2)} s`,
        ratio: `${(med(lone.direct, 'ms') / med(lone.ours, 'ms')).toFixed(2)}× speed`,
        goal: '≥ 0.9× direct',
      },
    ];
  } finally {
    await proxy?.stop();
    await direct.stop();
    rmSync(T, { recursive: true, force: true });
  }
}
