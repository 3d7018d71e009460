// Real mvn, run hermetically: a mirror settings.xml naming the proxy, a hard-link copy of this machine's local
// repository without com/example (plugins resolve from it; only fixture artifacts go through the proxy), the
// offline-resolvable plugin versions pinned. A missing mvn is a failure under CI.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { tmpDir } from './launcher.js';
import { run, type RunResult } from './npm-clients.js';
import { MAVEN_FIXTURE_DIR } from './maven-repo.js';

/** a build that resolves every dependency of the project and compiles against them */
export const BUILD = ['org.apache.maven.plugins:maven-resources-plugin:3.3.1:resources', 'org.apache.maven.plugins:maven-compiler-plugin:3.13.0:compile'];
export const LOCAL_REPOSITORY = join(homedir(), '.m2', 'repository');

export function mvnAvailable(): boolean {
  let ok = false;
  try { execFileSync('mvn', ['--version'], { stdio: 'ignore', timeout: 60_000 }); ok = existsSync(LOCAL_REPOSITORY); } catch { ok = false; }
  if (!ok && process.env.CI === 'true') throw new Error('mvn (and a populated ~/.m2/repository) is missing: apt-get install maven');
  return ok;
}

/** a fresh hard-link copy of the local repository without com/example */
export function freshLocalRepository(): string {
  const d = join(tmpDir('m2-'), 'repository');
  execFileSync('cp', ['-al', LOCAL_REPOSITORY, d]);
  rmSync(join(d, 'com', 'example'), { recursive: true, force: true });
  return d;
}

/** settings.xml with one mirror of everything (the proxy's maven instance); central's snapshots enabled, as a snapshot repository would be */
export function mirrorSettings(mirrorUrl: string): string {
  const f = join(tmpDir('m2-settings-'), 'settings.xml');
  writeFileSync(f, `<settings>
  <mirrors><mirror><id>cache-proxy</id><mirrorOf>*</mirrorOf><url>${mirrorUrl.replace(/\/?$/, '/')}</url></mirror></mirrors>
  <profiles><profile><id>snapshots</id><repositories><repository><id>central</id><url>http://repo.invalid/</url><snapshots><enabled>true</enabled></snapshots></repository></repositories></profile></profiles>
  <activeProfiles><activeProfile>snapshots</activeProfile></activeProfiles>
</settings>
`);
  return f;
}

/** a copy of a fixture project (app/: demo 1.0.0, lib 2.0 + sources, demo 1.1-SNAPSHOT; missing/: a dependency no repository has) */
export function projectCopy(name: 'app' | 'missing' = 'app'): string {
  const d = join(tmpDir('mvn-app-'), name);
  mkdirSync(d);
  cpSync(join(MAVEN_FIXTURE_DIR, name), d, { recursive: true });
  return d;
}

export function mvn(args: string[], o: { cwd: string; settings: string; repo?: string }): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, MAVEN_OPTS: '-XX:TieredStopAtLevel=1 -Xshare:auto' };
  delete env.MAVEN_ARGS;
  return run('mvn', ['-B', '-s', o.settings, `-Dmaven.repo.local=${o.repo ?? freshLocalRepository()}`, ...args], { cwd: o.cwd, env, timeoutMs: 180_000 });
}
