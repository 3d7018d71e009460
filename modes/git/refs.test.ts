import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseForEachRef, parseLsRemote, planRefs } from './refs.js';

const A = 'a'.repeat(40), B = 'b'.repeat(40), C = 'c'.repeat(40);

test('ls-remote: branches, tags without peeled lines, HEAD symref; other refs left out', () => {
  const text = `ref: refs/heads/main\tHEAD\n${A}\tHEAD\n${A}\trefs/heads/main\n${B}\trefs/tags/v1\n${C}\trefs/tags/v1^{}\n${C}\trefs/pull/1/head\n`;
  assert.equal(parseLsRemote(text), { refs: { 'refs/heads/main': A, 'refs/tags/v1': B }, head: 'refs/heads/main', objectFormat: 'sha1' });
  assert.is(parseLsRemote(`${'d'.repeat(64)}\trefs/heads/main\n`).objectFormat, 'sha256');
});

test('for-each-ref: the staging prefix becomes refs/', () => {
  assert.equal(parseForEachRef(`${A} refs/staging/heads/main\n${B} refs/staging/tags/v1\n${C} refs/other/x\n`, 'refs/staging/'), { 'refs/heads/main': A, 'refs/tags/v1': B });
});

test('plan: deleted refs go; force_overwrite false keeps a rewritten branch and a moved tag, takes fast-forwards', async () => {
  const current = { 'refs/heads/main': A, 'refs/heads/dev': A, 'refs/tags/v1': A, 'refs/heads/gone': A };
  const upstream = { 'refs/heads/main': B, 'refs/heads/dev': C, 'refs/tags/v1': B, 'refs/heads/new': C };
  const ancestor = async (old: string, next: string) => old === A && next === B;
  assert.equal(await planRefs(upstream, current, true, ancestor), { refs: upstream, refused: [] });
  assert.equal(await planRefs(upstream, current, false, ancestor), {
    refs: { 'refs/heads/main': B, 'refs/heads/dev': A, 'refs/tags/v1': A, 'refs/heads/new': C },
    refused: [{ ref: 'refs/heads/dev', kept: A, upstream: C }, { ref: 'refs/tags/v1', kept: A, upstream: B }],
  });
});

test.run();
