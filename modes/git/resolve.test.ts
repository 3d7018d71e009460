import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RepositoryResolver, splitGitPath } from './resolve.js';
import { gitSettings } from './settings.js';

test('a request path splits into the repository (".git" optional) and the smart-HTTP service', () => {
  assert.equal(splitGitPath('info/refs'), { repo: '', service: 'info-refs' });
  assert.equal(splitGitPath('demo/info/refs'), { repo: 'demo', service: 'info-refs' });
  assert.equal(splitGitPath('team/x.git/git-upload-pack'), { repo: 'team/x', service: 'upload-pack' });
  assert.equal(splitGitPath('demo.git/git-receive-pack'), { repo: 'demo', service: 'receive-pack' });
  assert.equal(splitGitPath('demo/HEAD'), { repo: 'demo', service: 'dumb' });
  assert.equal(splitGitPath('demo/objects/ab/cdef'), { repo: 'demo', service: 'dumb' });
  assert.equal(splitGitPath('demo/info/packs'), { repo: 'demo', service: 'dumb' });
  assert.is(splitGitPath('demo'), null);
});

test('fixed repositories first, then upstream_base + allow, else nothing', () => {
  const r = new RepositoryResolver(gitSettings({
    upstream: 'http://up.example/legacy.git',
    repositories: [{ path: 'demo', upstream: 'http://up.example/org/demo.git' }, { path: 'tools.git', upstream: 'http://up.example/org/tools.git', force_overwrite: false }],
    upstream_base: 'http://up.example/', allow: ['team/*'], sync_interval: '5m',
  }));
  assert.is(r.resolve('')?.upstream, 'http://up.example/legacy.git');
  assert.is(r.resolve('demo')?.upstream, 'http://up.example/org/demo.git');
  assert.is(r.resolve('demo')?.syncIntervalMs, 300_000, 'the block default applies');
  assert.is(r.resolve('tools')?.forceOverwrite, false);
  assert.equal(r.resolve('team/x'), { path: 'team/x', upstream: 'http://up.example/team/x.git', auth: undefined, proxy: undefined, syncIntervalMs: 300_000, freshForMs: undefined, forceOverwrite: true, onDemand: true });
  assert.is(r.resolve('team/x/y'), null, 'the glob does not cross a slash');
  assert.is(r.resolve('other/y'), null);
  assert.is(r.resolve('team/..'), null);
});

test.run();
