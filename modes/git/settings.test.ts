import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkGitConfig, gitSettings, resolveBackend } from './settings.js';

const onPath = () => true, absent = () => false;
const block = { upstream: 'http://up.example/demo.git' };

test('backend: the configured one, else git when it is on PATH, else isomorphic-git', () => {
  assert.is(resolveBackend(undefined, onPath), 'git');
  assert.is(resolveBackend(undefined, absent), 'isomorphic-git');
  assert.is(resolveBackend('isomorphic-git', onPath), 'isomorphic-git');
  assert.is(resolveBackend('git', absent), 'git');
  assert.is(gitSettings(block, absent).backend, 'isomorphic-git');
  assert.is(gitSettings(block, onPath).backend, 'git');
  assert.is(gitSettings({ ...block, backend: 'isomorphic-git' }, onPath).backend, 'isomorphic-git');
});

test('max_pack_size: 512 MiB by default, sizes and byte counts accepted', () => {
  assert.is(gitSettings(block, onPath).maxPackSize, 512 * 2 ** 20);
  assert.is(gitSettings({ ...block, max_pack_size: '1MiB' }, onPath).maxPackSize, 2 ** 20);
  assert.is(gitSettings({ ...block, max_pack_size: 5000 }, onPath).maxPackSize, 5000);
});

test('validation: backend: git needs git on PATH; isomorphic-git and the default never do', () => {
  const backendErrors = (c: Record<string, unknown>, path: () => boolean) => checkGitConfig({ ...block, ...c }, path).filter((e) => e.path?.[0] === 'backend');
  assert.equal(backendErrors({ backend: 'git' }, absent).map((e) => e.message), ['the git backend needs the `git` command on PATH']);
  assert.equal(backendErrors({ backend: 'git' }, onPath), []);
  assert.equal(backendErrors({ backend: 'isomorphic-git' }, absent), []);
  assert.equal(backendErrors({ backend: 'isomorphic-git' }, onPath), []);
  assert.equal(backendErrors({}, absent), [], 'the default falls back to isomorphic-git');
});

test.run();
