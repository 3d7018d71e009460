import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { classifyGitFailure } from './sync-error.js';

test('git messages: refused credentials and absent repositories are permanent, the rest transient', () => {
  const auth = classifyGitFailure('fetch', "fatal: could not read Username for 'http://127.0.0.1:1': terminal prompts disabled\n");
  assert.equal([auth.message, auth.permanent], ['authentication failed', true]);
  const gone = classifyGitFailure('fetch', "fatal: repository 'http://127.0.0.1:1/x.git/' not found\n");
  assert.equal([gone.message, gone.permanent], ['upstream repository not found', true]);
  const down = classifyGitFailure('fetch', "fatal: unable to access 'http://127.0.0.1:1/x.git/': Failed to connect to 127.0.0.1 port 1: Connection refused\n");
  assert.is(down.permanent, false);
  assert.match(down.message, /^fetch failed: unable to access/);
});

test.run();
