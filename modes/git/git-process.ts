// The system `git`, run isolated from the machine's git configuration and from any terminal prompt, with
// settings passed through GIT_CONFIG_* variables (never on a command line, where `ps` would show them).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface GitRun { code: number; stdout: string; stderr: string }
export interface GitOptions {
  cwd?: string;
  /** extra configuration (`-c` equivalents) */
  config?: Record<string, string>;
  env?: Record<string, string>;
  input?: Buffer | string;
  /** killed when it aborts */
  signal?: AbortSignal;
}

const PROXY_VARS = /^(https?_proxy|all_proxy|no_proxy|git_proxy_command|git_ssh_command)$/i;

/** the environment of every git this mode runs: no system/global config, no prompts, only the settings given */
export function gitEnv(config: Record<string, string> = {}, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!PROXY_VARS.test(k) && !k.startsWith('GIT_')) env[k] = v;
  Object.assign(env, { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/false', SSH_ASKPASS: '/bin/false', LC_ALL: 'C' });
  const entries = Object.entries(config);
  env.GIT_CONFIG_COUNT = String(entries.length);
  entries.forEach(([k, v], i) => { env[`GIT_CONFIG_KEY_${i}`] = k; env[`GIT_CONFIG_VALUE_${i}`] = v; });
  return Object.assign(env, extra);
}

export function spawnGit(args: string[], o: GitOptions = {}): ChildProcess {
  return spawn('git', args, { cwd: o.cwd, env: gitEnv(o.config, o.env), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** run git to completion, output collected (for small outputs: ref lists, messages) */
export function runGit(args: string[], o: GitOptions = {}): Promise<GitRun> {
  return new Promise((resolve) => {
    const c = spawnGit(args, o);
    let stdout = '', stderr = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    c.stderr!.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 64 * 1024) stderr += d; });
    c.stdin!.on('error', () => undefined);
    c.stdin!.end(o.input ?? '');
    const kill = () => { if (c.exitCode === null) c.kill('SIGKILL'); };
    if (o.signal?.aborted) kill();
    o.signal?.addEventListener('abort', kill, { once: true });
    c.on('error', (e) => { stderr += e.message; });
    c.on('close', (code) => {
      o.signal?.removeEventListener('abort', kill);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

let onPath: boolean | undefined;
/** whether `git` can be run here */
export function gitAvailable(): boolean {
  if (onPath === undefined) onPath = spawnSync('git', ['--version'], { stdio: 'ignore' }).status === 0;
  return onPath;
}
