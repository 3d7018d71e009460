// maven mode: a warm mvn build resolving ARTIFACTS released artifacts (a jar and a pom each, with their .sha1)
// through the proxy vs straight from the fixture repository vs through nginx proxy_cache. The repository is
// generated at bench time by writing the layout directly (zip jars, poms, .sha1/.md5 sidecars with python3's
// zipfile and hashlib) rather than by deploy-file, which would cost one mvn start per artifact. Each build gets a
// fresh hard-link copy of the local repository (plugins resolve locally); rounds rotate (proxy, direct, nginx), medians.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer, startMavenProxy, mvn, mvnAvailable, mirrorSettings, MVN_BUILD, tmpDir } from '../../conformance/index.js';
import { startNginxCache } from '../peers/nginx.js';
import { median } from '../load.js';
import { ratio, type Row } from '../common.js';

const ARTIFACTS = 32;
const GROUP = 'com/example/bench';

/** ARTIFACTS releases com.example.bench:art-N:1.0 in a Maven layout under `dir` */
function generateRepository(dir: string): void {
  execFileSync('python3', ['-c', `
import sys, os, zipfile, hashlib
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    a = f"art-{i}"; d = os.path.join(root, "${GROUP}", a, "1.0"); os.makedirs(d)
    pom = f'<?xml version="1.0" encoding="UTF-8"?>\\n<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>com.example.bench</groupId><artifactId>{a}</artifactId><version>1.0</version></project>\\n'
    open(os.path.join(d, f"{a}-1.0.pom"), "w").write(pom)
    with zipfile.ZipFile(os.path.join(d, f"{a}-1.0.jar"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\\r\\n\\r\\n")
        z.writestr(f"com/example/bench/{a}.txt", (a + "\\n") * (200 + 37 * i))
    for f in (f"{a}-1.0.pom", f"{a}-1.0.jar"):
        b = open(os.path.join(d, f), "rb").read()
        open(os.path.join(d, f + ".sha1"), "w").write(hashlib.sha1(b).hexdigest())
        open(os.path.join(d, f + ".md5"), "w").write(hashlib.md5(b).hexdigest())
`, dir, String(ARTIFACTS)]);
}

function project(dir: string): void {
  mkdirSync(join(dir, 'src/main/java/x'), { recursive: true });
  writeFileSync(join(dir, 'src/main/java/x/A.java'), 'package x; class A {}\n');
  const deps = Array.from({ length: ARTIFACTS }, (_, i) => `<dependency><groupId>com.example.bench</groupId><artifactId>art-${i}</artifactId><version>1.0</version></dependency>`).join('');
  writeFileSync(join(dir, 'pom.xml'), `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>x</groupId><artifactId>bench</artifactId><version>1</version>
<properties><maven.compiler.release>17</maven.compiler.release><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties><dependencies>${deps}</dependencies></project>\n`);
}

export async function mavenBench(): Promise<Row[]> {
  if (!mvnAvailable()) return [{ bench: `warm mvn build, ${ARTIFACTS} artifacts`, ours: 'mvn not installed', reference: '—', ratio: '—', goal: '≥ 1.0× direct' }];
  const T = tmpDir('bench-maven-');
  generateRepository(join(T, 'repo'));
  const app = join(T, 'app');
  project(app);
  const up = await startFixtureServer({ root: join(T, 'repo') });
  const { proxy, X } = await startMavenProxy(up.url, '      metadata_fresh_for: 10m');
  const nginx = await startNginxCache(up.url);
  const targets = { proxy: X, direct: up.url, nginx: nginx.url };
  const build = async (base: string) => {
    const r = await mvn(['-q', ...MVN_BUILD], { cwd: app, settings: mirrorSettings(base) });
    if (r.code !== 0) throw new Error(`mvn via ${base} failed: ${r.stdout.slice(-1500)}`);
    return r.ms;
  };
  for (const base of [targets.proxy, targets.nginx]) await build(base); // warm both caches
  const jarGets = () => up.requests.filter((q) => q.path.endsWith('.jar')).length;
  const coldJars = jarGets();
  const times: Record<string, number[]> = { proxy: [], direct: [], nginx: [] };
  for (let round = 0; round < 5; round++) for (const [k, base] of Object.entries(targets)) times[k]!.push(await build(base));
  if (jarGets() - coldJars !== 5 * ARTIFACTS) throw new Error('a warm build through a cache reached the fixture repository');
  const [p, d, n] = [median(times.proxy!), median(times.direct!), median(times.nginx!)];
  const what = `warm mvn build, ${ARTIFACTS} artifacts (jar + pom + .sha1 each; fresh local repository)`;
  await proxy.stop();
  await nginx.stop();
  await up.close();
  return [
    { bench: what, ours: `${(p / 1000).toFixed(2)} s`, reference: `direct from the fixture repository ${(d / 1000).toFixed(2)} s`, ratio: ratio(d, p), goal: '≥ 1.0× (no slower than direct)' },
    { bench: what, ours: `${(p / 1000).toFixed(2)} s`, reference: `nginx proxy_cache ${(n / 1000).toFixed(2)} s`, ratio: ratio(n, p), goal: '—' },
  ];
}
