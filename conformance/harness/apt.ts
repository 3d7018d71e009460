// A real apt-get with fully isolated state (recipes R1, linux-repos spec §11): its own sources.list,
// lists, status and archives under a temp dir; nothing on the system changes.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from './launcher.js';
import * as assert from 'uvu/assert';
import { runClient, ok } from './client-run.js';

export interface AptRun { code: number; out: string }
export interface AptClient { dir: string; archives: string; update(): Promise<AptRun>; install(pkgs: string[]): Promise<AptRun>; download(pkgs: string[]): Promise<AptRun>; policy(pkg: string): Promise<AptRun>; debs(): string[] }

/** a fresh client state; `sources` are sources.list lines */
export function aptClient(sources: string[]): AptClient {
  const dir = tmpDir('apt-');
  for (const d of ['lists/partial', 'archives/partial', 'cache', 'dl']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'status'), '');
  writeFileSync(join(dir, 'sources.list'), sources.join('\n') + '\n');
  const o = [
    `Dir::Etc::SourceList=${dir}/sources.list`, 'Dir::Etc::SourceParts=/dev/null', `Dir::State::Lists=${dir}/lists`, `Dir::State::status=${dir}/status`,
    `Dir::Cache=${dir}/cache`, `Dir::Cache::Archives=${dir}/archives`, 'Debug::NoLocking=1', 'APT::Sandbox::User=root', 'Acquire::Languages=none',
  ].flatMap((x) => ['-o', x]);
  const run = (args: string[], cwd = dir): Promise<AptRun> => runClient('apt-get', [...o, ...args], { cwd, env: { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' } });
  return {
    dir, archives: join(dir, 'archives'),
    update: () => run(['update']),
    install: (pkgs) => run(['install', '-y', '--download-only', ...pkgs]),
    download: (pkgs) => run(['download', ...pkgs], join(dir, 'dl')),
    policy: (pkg) => new Promise((resolve) => {
      const p = spawn('apt-cache', [...o, 'policy', pkg], { env: { ...process.env, LC_ALL: 'C' } });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      p.on('close', (code) => resolve({ code: code ?? -1, out }));
    }),
    debs: () => [...readdirSync(join(dir, 'archives')), ...readdirSync(join(dir, 'dl'))].filter((n) => n.endsWith('.deb')).sort(),
  };
}

/** apt succeeded with no hash mismatch, no failed fetch (`Err:`) and no warning */
export function aptOk(r: AptRun, what: string): void {
  ok(r, what);
  assert.not.match(r.out, /Hash Sum mismatch|^Err:|^W: /m, `${what}:\n${r.out}`);
}
