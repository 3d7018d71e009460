import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isCanonicalVersion, leadingModule, moduleRequest, unescapeCase, validModulePath } from './module-path.js';
import { prefixPatterns } from './private-patterns.js';

test('case-encoding: !x is X; raw upper case and a lone ! are invalid', () => {
  assert.is(unescapeCase('example.com/fx/!upper'), 'example.com/fx/Upper');
  assert.is(unescapeCase('github.example/!azure/!s!d!k'), 'github.example/Azure/SDK');
  assert.is(unescapeCase('example.com/fx/Upper'), null);
  assert.is(unescapeCase('example.com/fx/!'), null);
  assert.is(unescapeCase('example.com/fx/!1'), null);
});

test('module paths: the go command\'s element rules', () => {
  for (const ok of ['example.com/fx/demo', 'example.com/fx/Upper', 'a.b/c~d/e_f-g', 'gopkg.example/yaml.v3']) assert.ok(validModulePath(ok), ok);
  for (const bad of ['', 'nodot/x', '-x.com/y', 'Example.com/x', 'example.com//x', 'example.com/../x', 'example.com/.x', 'example.com/x.', 'example.com/x y', 'example.com/x/']) assert.not.ok(validModulePath(bad), bad);
});

test('canonical versions: semver in canonical form, pseudo-versions and +incompatible included', () => {
  for (const ok of ['v1.0.0', 'v0.0.0-20200101000000-abcdefabcdef', 'v2.0.0+incompatible', 'v1.2.3-rc.1', 'v1.0.0-0.20200101000000-abcdefabcdef']) assert.ok(isCanonicalVersion(ok), ok);
  for (const bad of ['v1.0', 'v1', '1.0.0', 'v01.0.0', 'v1.0.0+build', 'v1.0.0-01', 'master', 'v1.0.0-']) assert.not.ok(isCanonicalVersion(bad), bad);
});

test('requests: every protocol shape, decoded; queries only as .info; invalid ones marked', () => {
  assert.equal(moduleRequest('example.com/fx/!upper/@v/v1.0.0.zip'), { escaped: 'example.com/fx/!upper', path: 'example.com/fx/Upper', file: 'zip', escapedVersion: 'v1.0.0', version: 'v1.0.0', valid: true });
  assert.equal(moduleRequest('example.com/fx/demo/@v/list'), { escaped: 'example.com/fx/demo', path: 'example.com/fx/demo', file: 'list', valid: true });
  assert.is(moduleRequest('example.com/fx/demo/@latest')!.file, 'latest');
  assert.is(moduleRequest('example.com/fx/demo/@v/master.info')!.valid, true);
  assert.is(moduleRequest('example.com/fx/demo/@v/master.zip')!.valid, false);
  assert.is(moduleRequest('example.com/fx/demo/@v/master.mod')!.valid, false);
  assert.is(moduleRequest('example.com/fx/Demo/@v/list')!.valid, false);
  assert.is(moduleRequest('example.com/fx/demo/@v/V1.0.0.info')!.valid, false);
  assert.is(moduleRequest('example.com/fx/demo'), null);
  assert.is(leadingModule('example.com/private/!x/@v/list'), 'example.com/private/X');
});

test('GOPRIVATE patterns match leading path elements', () => {
  const m = prefixPatterns(['example.com/private/*', '*.corp.example,git.example/team']);
  assert.ok(m('example.com/private/x'));
  assert.ok(m('example.com/private/x/sub/pkg'));
  assert.not.ok(m('example.com/private'));
  assert.not.ok(m('example.com/public/x'));
  assert.ok(m('code.corp.example/a/b'));
  assert.ok(m('git.example/team/repo'));
  assert.not.ok(m('git.example/other'));
  assert.not.ok(prefixPatterns([])('example.com/x'));
});

test.run();
