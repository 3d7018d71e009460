// A real client run to its end: exit code, stdout and stderr interleaved as the client wrote them (`out`) and
// stdout alone. A client that cannot start resolves with code -1 and the reason in `out`.
import { spawn } from 'node:child_process';
import * as assert from 'uvu/assert';

export interface ClientRun { code: number; out: string; stdout: string }

export function runClient(bin: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ClientRun> {
  return new Promise((resolve) => {
    const p = spawn(bin, args, { cwd: o.cwd, env: o.env ?? { ...process.env, LC_ALL: 'C' } });
    let out = '', stdout = '';
    p.stdout.on('data', (d) => { out += d; stdout += d; });
    p.stderr.on('data', (d) => { out += d; });
    const timer = o.timeoutMs ? setTimeout(() => p.kill('SIGKILL'), o.timeoutMs) : undefined;
    p.on('error', (e) => { clearTimeout(timer); resolve({ code: -1, out: `${out}${e.message}`, stdout }); });
    p.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, out, stdout }); });
  });
}

/** the run succeeded; else the failure shows the client's output */
export function ok(r: { code: number; out: string }, what: string): void {
  assert.is(r.code, 0, `${what} failed:\n${r.out}`);
}
