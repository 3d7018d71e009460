// What the git conformance files share: upstream repositories built at test time with plain git
// (`demo`: two branches, an annotated tag, 50 commits, a 5 MiB binary blob; `tools`; `team/x`), the real
// git client isolated from this machine's configuration, and a git instance in front of an upstream.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir, startProxy, type ProxyHandle } from './launcher.js';
import { runClient } from './client-run.js';
import { singleInstanceConfig } from './single-instance.js';

export { startGitUpstream, type GitUpstream } from './git-upstream.js';

/** git as a test user: no system or global config, no prompts, fixed identity */
export function clientEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_') && !/_proxy$/i.test(k)) env[k] = v;
  return { ...env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', ...extra };
}

export interface GitRunResult { code: number; out: string; stdout: string }

/** the real git client, asynchronously (the proxy in the same test must keep answering) */
export function git(args: string[], o: { cwd?: string; home: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<GitRunResult> {
  return runClient('git', args, { cwd: o.cwd, env: clientEnv(o.home, o.env), timeoutMs: o.timeoutMs ?? 120_000 });
}

export interface GitFixture {
  /** GIT_PROJECT_ROOT of the upstream: demo.git, tools.git, team/x.git */
  root: string;
  home: string;
  /** a working clone of an upstream repository (made on first use), pushed back with `push` */
  work(repo: string): string;
  sh(args: string[], cwd?: string, env?: NodeJS.ProcessEnv): string;
  /** the upstream's value of a ref */
  rev(repo: string, ref: string): string;
  /** one new commit on main of the upstream */
  commit(repo: string, message: string): string;
  /** main of the upstream rewritten (the last commit amended) with a forced push */
  forcePush(repo: string, message: string): string;
  /** a new upstream repository with one commit on main */
  create(repo: string): void;
}

const DAY = 86_400;
export const DEMO_EPOCH = 1_577_836_800; // 2020-01-01T00:00:00Z: commit i of demo is dated DEMO_EPOCH + i days

export function buildGitFixture(): GitFixture {
  const dir = tmpDir('gitfx-');
  const root = join(dir, 'repos'), home = join(dir, 'home'), works = join(dir, 'work');
  for (const d of [root, home, works]) mkdirSync(d, { recursive: true });
  const sh = (args: string[], cwd?: string, env: NodeJS.ProcessEnv = {}) => execFileSync('git', args, { cwd, env: clientEnv(home, env), stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 }).toString().trim();
  const dated = (i: number) => { const d = `@${DEMO_EPOCH + i * DAY} +0000`; return { GIT_AUTHOR_DATE: d, GIT_COMMITTER_DATE: d }; };
  const bare = (name: string) => {
    const p = join(root, `${name}.git`);
    sh(['init', '--bare', '--quiet', '-b', 'main', p]);
    sh(['config', 'uploadpack.allowFilter', 'true'], p);
    sh(['config', 'uploadpack.allowAnySHA1InWant', 'true'], p);
    sh(['config', 'http.receivepack', 'false'], p);
    return p;
  };
  const made = new Map<string, string>();
  const work = (repo: string) => {
    let w = made.get(repo);
    if (!w) { w = join(works, repo.replace(/\//g, '_')); sh(['clone', '--quiet', join(root, `${repo}.git`), w]); made.set(repo, w); }
    sh(['pull', '--quiet', '--ff-only'], w);
    return w;
  };

  // demo: 50 commits on main (one of them adds a 5 MiB binary), a dev branch, an annotated tag
  const demo = join(works, 'demo-init');
  sh(['init', '--quiet', '-b', 'main', demo]);
  for (let i = 0; i < 50; i++) {
    writeFileSync(join(demo, 'log.txt'), `${Array.from({ length: i + 1 }, (_, k) => `line ${k}`).join('\n')}\n`);
    if (i === 10) writeFileSync(join(demo, 'blob.bin'), randomBytes(5 << 20));
    sh(['add', '-A'], demo);
    sh(['commit', '--quiet', '-m', `commit ${i}`], demo, dated(i));
    if (i === 20) sh(['tag', '-a', 'v1.0', '-m', 'release 1.0'], demo, dated(i));
    if (i === 30) {
      sh(['checkout', '--quiet', '-b', 'dev'], demo);
      writeFileSync(join(demo, 'dev.txt'), 'dev only\n');
      sh(['add', '-A'], demo);
      sh(['commit', '--quiet', '-m', 'dev work'], demo, dated(i));
      sh(['checkout', '--quiet', 'main'], demo);
    }
  }
  bare('demo');
  sh(['push', '--quiet', join(root, 'demo.git'), 'main', 'dev', 'v1.0'], demo);
  const create = (name: string) => {
    const w = join(works, `${name.replace(/\//g, '_')}-init`);
    sh(['init', '--quiet', '-b', 'main', w]);
    writeFileSync(join(w, 'README'), `${name}\n`);
    sh(['add', '-A'], w);
    sh(['commit', '--quiet', '-m', `${name} initial`], w);
    mkdirSync(join(root, name, '..'), { recursive: true });
    bare(name);
    sh(['push', '--quiet', join(root, `${name}.git`), 'main'], w);
  };
  for (const name of ['tools', 'team/x', 'other/y']) create(name);
  const rev = (repo: string, ref: string) => sh(['rev-parse', ref], join(root, `${repo}.git`));
  let n = 0;
  return {
    root, home, work, sh, rev, create,
    commit: (repo, message) => {
      const w = work(repo);
      writeFileSync(join(w, `new-${++n}.txt`), `${message}\n`);
      sh(['add', '-A'], w);
      sh(['commit', '--quiet', '-m', message], w);
      sh(['push', '--quiet', 'origin', 'HEAD:main'], w);
      return rev(repo, 'refs/heads/main');
    },
    forcePush: (repo, message) => {
      const w = work(repo);
      sh(['commit', '--quiet', '--amend', '-m', message], w);
      sh(['push', '--quiet', '--force', 'origin', 'HEAD:main'], w);
      return rev(repo, 'refs/heads/main');
    },
  };
}

/** one git instance named `git`, mounted at /git, with these lines of its block (indented 6 spaces) */
export async function startGitProxy(block: string, env: NodeJS.ProcessEnv = {}): Promise<{ proxy: ProxyHandle; url: string }> {
  const proxy = await startProxy({ config: singleInstanceConfig({ mode: 'git', block }), env });
  return { proxy, url: `${proxy.url}/git` };
}

export interface RepoStatusRow { repository: string; state: string; snapshot: number | string; last_sync: string; snapshot_age: string; refs: number; size: string; error?: string }
/** the status rows of the git instance (/-/status/summary) */
export async function repoStatus(proxyUrl: string, repo: string): Promise<RepoStatusRow | undefined> {
  const s = await (await fetch(`${proxyUrl}/-/status/summary`)).json() as { instances: { name: string; details?: { repositories: RepoStatusRow[] } }[] };
  return s.instances.find((i) => i.name === 'git')?.details?.repositories.find((r) => r.repository === repo);
}

/** a git mirror in a proxy's store (`proxy.backend`): the bare repository holding the snapshot pointer */
export function mirrorDir(root: string): string | undefined {
  for (const e of readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const p = join(root, e.name);
    if (e.name.endsWith('.git') && readdirSync(p).includes('cache-proxy-snapshot.json')) return p;
    const found = mirrorDir(p);
    if (found) return found;
  }
  return undefined;
}

/** the mirror's pack directory holds one pack, with a bitmap index, and no repack under way */
export function repackedWithBitmap(dir: string): boolean {
  const files = readdirSync(join(dir, 'objects', 'pack'));
  return files.filter((f) => f.endsWith('.pack')).length === 1 && files.some((f) => f.endsWith('.bitmap')) && !files.some((f) => f.startsWith('.tmp'));
}
