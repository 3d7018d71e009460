import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { artifactOf, describedBy, kindOf, xmlRootOf } from './layout.js';

const D = 'com/example/demo';
test('kinds by version directory and file name; sidecars follow the file they describe', () => {
  const cases: [string, string][] = [
    [`${D}/maven-metadata.xml`, 'metadata'],
    [`${D}/maven-metadata.xml.sha1`, 'metadata'],
    [`${D}/1.1-SNAPSHOT/maven-metadata.xml.md5`, 'metadata'],
    ['archetype-catalog.xml', 'metadata'],
    ['.index/nexus-maven-repository-index.properties', 'metadata'],
    [`${D}/1.1-SNAPSHOT/demo-1.1-SNAPSHOT.jar`, 'snapshot'],
    [`${D}/1.1-SNAPSHOT/demo-1.1-SNAPSHOT-sources.jar.sha1`, 'snapshot'],
    [`${D}/1.1-SNAPSHOT/demo-1.1-SNAPSHOT.pom.asc.sha256`, 'snapshot'],
    [`${D}/1.1-SNAPSHOT/demo-1.1-20261122.214607-1.jar`, 'release'],
    [`${D}/1.1-SNAPSHOT/demo-1.1-20261122.214607-1.jar.sha1`, 'checksum'],
    [`${D}/1.0.0/demo-1.0.0.jar`, 'release'],
    [`${D}/1.0.0/demo-1.0.0.jar.sha512`, 'checksum'],
    [`${D}/1.0.0/demo-1.0.0.jar.asc`, 'checksum'],
    [`${D}/1.0.0/demo-1.0.0.jar.asc.md5`, 'checksum'],
    // a -SNAPSHOT in another place does not make a snapshot (the old rule's defect)
    [`com/example/x-SNAPSHOT-tools/1.0/x-SNAPSHOT-tools-1.0.jar`, 'release'],
    [`${D}/SNAPSHOT/demo-SNAPSHOT.jar`, 'release'],
  ];
  for (const [path, kind] of cases) assert.is(kindOf(path), kind, path);
});

test('sidecar chains', () => {
  assert.is(describedBy('a/b.jar.sha1'), 'a/b.jar');
  assert.is(describedBy('a/b.jar.asc'), 'a/b.jar');
  assert.is(describedBy('a/b.jar'), null);
  assert.is(artifactOf('a/b.jar.asc.sha512'), 'a/b.jar');
  assert.is(artifactOf('a/.sha1'), 'a/.sha1');
});

test('XML roots: POMs and maven-metadata.xml', () => {
  assert.is(xmlRootOf('a/1/a-1.pom'), 'project');
  assert.is(xmlRootOf('a/maven-metadata.xml'), 'metadata');
  assert.is(xmlRootOf('a/maven-metadata.xml.sha1'), null);
  assert.is(xmlRootOf('archetype-catalog.xml'), null);
  assert.is(xmlRootOf('a/1/a-1.jar'), null);
});

test.run();
