// The go command run hermetically against the proxy: its own GOPATH (module cache) and a copy of the fixture
// app per run, the environment the go tests share ($E).
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from './launcher.js';
import { GO_FIXTURE_DIR } from './go-tools.js';
import { run, type RunResult } from './npm-clients.js';

export function goEnv(o: { go: string; goproxy: string; gosumdb: string; gopath?: string }): NodeJS.ProcessEnv {
  const gopath = o.gopath ?? tmpDir('gopath-');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: gopath, GOPATH: gopath, GOCACHE: join(gopath, 'cache'), GOFLAGS: '-mod=mod -modcacherw', GOTOOLCHAIN: 'local',
    GOPROXY: o.goproxy, GOSUMDB: o.gosumdb, GONOSUMDB: '', GOPRIVATE: '', GONOPROXY: '', GOENV: 'off', GOTELEMETRY: 'off',
  };
  return env;
}

/** a copy of the fixture app (no go.sum) in a fresh temp dir */
export function goApp(): string {
  const d = join(tmpDir('go-app-'), 'app');
  cpSync(join(GO_FIXTURE_DIR, 'app'), d, { recursive: true });
  rmSync(join(d, 'go.sum'), { force: true });
  return d;
}

export function goRun(go: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return run(go, args, { cwd, env, timeoutMs: 180_000 });
}
