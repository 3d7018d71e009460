import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePackageLock, parseGoSum, parsePom, parseCargoLock, parsePnpmLock, parseYarnLock, parseRequirements, parsePoetryLock, detectFormat } from './lockfiles.js';

const paths = (p: { items: { path: string }[] }) => p.items.map((i) => i.path);

test('package-lock: with resolved URLs the tarball path is their tail; without, the registry convention; v1 too', () => {
  const v3 = parsePackageLock(JSON.stringify({ lockfileVersion: 3, packages: {
    '': { name: 'app' },
    'node_modules/@fx/demo': { version: '1.2.0', resolved: 'https://registry.example/@fx/demo/-/demo-1.2.0.tgz' },
    'node_modules/a/node_modules/b': { version: '2.0.0' },
    'node_modules/linked': { link: true },
  } }));
  assert.equal(paths(v3), ['@fx%2fdemo', '@fx/demo/-/demo-1.2.0.tgz', 'b', 'b/-/b-2.0.0.tgz']);
  const v1 = parsePackageLock(JSON.stringify({ lockfileVersion: 1, dependencies: { x: { version: '1.0.0', dependencies: { y: { version: '3.0.0', resolved: 'file:../y' } } } } }));
  assert.equal(paths(v1), ['x', 'x/-/x-1.0.0.tgz']);
  assert.equal(v1.problems, ['y@3.0.0: not from a registry (file:../y)']);
});

test('Cargo.lock: registry packages only, index path by name length', () => {
  const p = parseCargoLock('[[package]]\nname = "app"\nversion = "0.1.0"\n\n[[package]]\nname = "ab"\nversion = "1.0.0"\nsource = "registry+https://registry.example/index"\n\n[[package]]\nname = "Serde_x"\nversion = "2.0.0"\nsource = "sparse+https://registry.example/"\n');
  assert.equal(paths(p), ['config.json', '2/ab', 'api/v1/crates/ab/1.0.0/download', 'se/rd/serde_x', 'api/v1/crates/Serde_x/2.0.0/download']);
});

test('go.sum: .info and .mod for each line, .zip for module hashes, upper case escaped', () => {
  const p = parseGoSum('example.com/Foo v1.0.0 h1:x=\nexample.com/Foo v1.0.0/go.mod h1:y=\nexample.com/bar v0.1.0/go.mod h1:z=\n');
  assert.equal(paths(p), ['example.com/!foo/@v/v1.0.0.info', 'example.com/!foo/@v/v1.0.0.mod', 'example.com/!foo/@v/v1.0.0.zip', 'example.com/bar/@v/v0.1.0.info', 'example.com/bar/@v/v0.1.0.mod']);
});

test('pom.xml: dependencies with properties, pom-typed ones without an artifact, unresolved versions reported', () => {
  const p = parsePom(`<project><version>3.0</version><properties><lib.version>1.2</lib.version></properties>
    <dependencyManagement><dependencies><dependency><groupId>m.g</groupId><artifactId>managed</artifactId><version>9</version></dependency></dependencies></dependencyManagement>
    <dependencies>
      <dependency><groupId>org.ex</groupId><artifactId>lib</artifactId><version>\${lib.version}</version></dependency>
      <dependency><groupId>org.ex</groupId><artifactId>bom</artifactId><version>1</version><type>pom</type></dependency>
      <dependency><groupId>org.ex</groupId><artifactId>nov</artifactId></dependency>
    </dependencies></project>`);
  assert.equal(paths(p), ['org/ex/lib/1.2/lib-1.2.pom', 'org/ex/lib/1.2/lib-1.2.jar', 'org/ex/bom/1/bom-1.pom']);
  assert.equal(p.problems, ['org.ex:nov: no resolvable version in the pom (managed elsewhere)']);
});

test('pnpm-lock.yaml v5, v6 and v9 keys; peer suffixes dropped', () => {
  const v5 = parsePnpmLock('lockfileVersion: 5.4\npackages:\n  /a/1.0.0:\n    resolution: {integrity: sha512-x}\n  /@s/b/2.0.0_react@18.0.0:\n    resolution: {integrity: sha512-y}\n');
  assert.equal(paths(v5), ['a', 'a/-/a-1.0.0.tgz', '@s%2fb', '@s/b/-/b-2.0.0.tgz']);
  const v9 = parsePnpmLock("lockfileVersion: '9.0'\npackages:\n  '@s/b@2.0.0(react@18.0.0)':\n    resolution: {integrity: sha512-y}\n  c@3.0.0:\n    resolution: {integrity: sha512-z}\n");
  assert.equal(paths(v9), ['@s%2fb', '@s/b/-/b-2.0.0.tgz', 'c', 'c/-/c-3.0.0.tgz']);
});

test('yarn.lock v1 and berry', () => {
  const v1 = parseYarnLock('# yarn lockfile v1\n\n"@s/b@^2.0.0", "@s/b@~2.0":\n  version "2.0.1"\n  resolved "https://registry.example/@s/b/-/b-2.0.1.tgz#abc"\n\nleft@^1:\n  version "1.3.0"\n');
  assert.equal(paths(v1), ['@s%2fb', '@s/b/-/b-2.0.1.tgz', 'left', 'left/-/left-1.3.0.tgz']);
  const berry = parseYarnLock('__metadata:\n  version: 6\n\n"left@npm:^1":\n  version: 1.3.0\n  resolution: "left@npm:1.3.0"\n\n"app@workspace:.":\n  version: 0.0.0\n  resolution: "app@workspace:."\n');
  assert.equal(paths(berry), ['left', 'left/-/left-1.3.0.tgz']);
  assert.equal(berry.problems, []);
});

test('requirements.txt: pinned lines with hashes pick those files from the project page; poetry.lock by its file hashes', () => {
  const h1 = 'a'.repeat(64), h2 = 'b'.repeat(64);
  const r = parseRequirements(`# comment\nDemo.Lib[extra]==1.0 \\\n    --hash=sha256:${h1} \\\n    --hash=sha256:${h2}\nloose>=2\n--index-url https://index.example/simple\n`);
  assert.equal(paths(r), ['simple/demo-lib/']);
  assert.equal(r.problems, ['loose>=2: not pinned with == (warm needs exact versions)']);
  const page = JSON.stringify({ files: [
    { filename: 'demo_lib-1.0-py3-none-any.whl', url: '../../files/x/demo_lib-1.0-py3-none-any.whl', hashes: { sha256: h1 } },
    { filename: 'demo-lib-1.0.tar.gz', url: 'http://p.example/files/y/demo-lib-1.0.tar.gz', hashes: { sha256: 'c'.repeat(64) } },
  ] });
  assert.equal(r.items[0]!.pick!(page, 'http://p.example/pypi/simple/demo-lib/'), [{ url: 'http://p.example/pypi/files/x/demo_lib-1.0-py3-none-any.whl', label: 'demo_lib-1.0-py3-none-any.whl' }]);
  const html = `<a href="/files/z/demo-lib-1.0.tar.gz#sha256=${h2}">demo-lib-1.0.tar.gz</a><a href="/files/z/demo-lib-0.9.tar.gz#sha256=${'d'.repeat(64)}">demo-lib-0.9.tar.gz</a>`;
  assert.equal(r.items[0]!.pick!(html, 'http://p.example/simple/demo-lib/').map((f) => f.label), ['demo-lib-1.0.tar.gz']);
  const p = parsePoetryLock(`[[package]]\nname = "demo-lib"\nversion = "1.0"\nfiles = [\n    {file = "demo_lib-1.0-py3-none-any.whl", hash = "sha256:${h1}"},\n]\n\n[[package]]\nname = "old"\nversion = "2"\n\n[metadata]\nlock-version = "1.1"\n\n[metadata.files]\nold = [\n    {file = "old-2.tar.gz", hash = "sha256:${h2}"},\n]\n`);
  assert.equal(paths(p), ['simple/demo-lib/', 'simple/old/']);
  assert.equal(p.items[1]!.pick!(JSON.stringify({ files: [{ filename: 'old-2.tar.gz', url: 'f/old-2.tar.gz', hashes: { sha256: h2 } }] }), 'http://p.example/simple/old/').length, 1);
});

test('formats by file name', () => {
  assert.is(detectFormat('/x/requirements-dev.txt'), 'requirements.txt');
  assert.is(detectFormat('npm-shrinkwrap.json'), 'package-lock.json');
  assert.is(detectFormat('notes.txt'), undefined);
});

test.run();
