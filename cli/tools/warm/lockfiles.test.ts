import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePackageLock, parseGoSum, parsePom, parseCargoLock, detectFormat } from './lockfiles.js';

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

test('formats by file name', () => {
  assert.is(detectFormat('/x/requirements-dev.txt'), 'requirements.txt');
  assert.is(detectFormat('npm-shrinkwrap.json'), 'package-lock.json');
  assert.is(detectFormat('notes.txt'), undefined);
});

test.run();
