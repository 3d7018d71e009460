// Real pip, hermetic: every run with PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_NO_CACHE_DIR=1 (this machine's
// pip config names other indexes and find-links), no version check, HOME in a temp dir. Venvs come from
// `python3 -m venv`; a venv made without pip is installed into by another venv's pip (`pip --python`), which saves
// the seconds ensurepip takes. A missing python3/venv/pip is a failure under CI.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { tmpDir } from './launcher.js';

export interface PipRun { code: number; stdout: string; stderr: string; ms: number }

const home = () => tmpDir('pip-home-');
export const pipEnv = (): NodeJS.ProcessEnv => ({
  ...process.env, HOME: home(), PIP_CONFIG_FILE: '/dev/null', PIP_FIND_LINKS: '', PIP_NO_CACHE_DIR: '1',
  PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PIP_INDEX_URL: '', PIP_EXTRA_INDEX_URL: '', PYTHONDONTWRITEBYTECODE: '1',
});

export function runCmd(cmd: string, args: string[], env: NodeJS.ProcessEnv = pipEnv(), timeoutMs = 300_000): Promise<PipRun> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - t0 });
    });
  });
}

/** python3 with venv and ensurepip (venvs bring their own pip), or a reason it is missing (thrown under CI) */
export async function pipAvailable(): Promise<string | null> {
  const r = await runCmd('python3', ['-c', 'import venv, ensurepip']);
  const missing = r.code === 0 ? null : `python3 with venv and ensurepip (Debian python3-venv) is missing here (${r.stderr.trim().split('\n').pop() ?? ''})`;
  if (missing && process.env.CI === 'true') throw new Error(missing);
  return missing;
}

export interface Venv { dir: string; python: string; pip: string }

/** a new venv in a temp dir; without pip it is installed into with `another.pip --python` */
export async function makeVenv(withPip: boolean): Promise<Venv> {
  const dir = join(tmpDir('venv-'), 'v');
  const r = await runCmd('python3', ['-m', 'venv', ...(withPip ? [] : ['--without-pip']), dir]);
  if (r.code !== 0) throw new Error(`python3 -m venv failed: ${r.stderr}`);
  return { dir, python: join(dir, 'bin/python'), pip: join(dir, 'bin/pip') };
}

/** `pip <args>` of `tool` acting on `target` (its own venv when the same) */
export function pip(tool: Venv, args: string[], target: Venv = tool): Promise<PipRun> {
  const onto = target === tool ? [] : ['--python', target.python];
  return runCmd(tool.pip, [...onto, ...args]);
}

/** the distributions installed in a venv, from its own `pip list` of the tool */
export async function installed(tool: Venv, target: Venv): Promise<string[]> {
  const r = await pip(tool, ['list', '--format=freeze'], target);
  return r.stdout.split('\n').map((l) => l.trim()).filter((l) => l && !/^(pip|setuptools)==/.test(l)).sort();
}
