// docs/writing-a-mode.md quotes this mode's code: every block under a `<!-- quote: <file> -->` line must appear
// verbatim in that file, so the walk-through cannot drift from the code the tests run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../engine/paths.js';

const doc = readFileSync(join(packageRoot, 'docs/writing-a-mode.md'), 'utf8');
const quotes = [...doc.matchAll(/<!-- quote: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)].map((m) => ({ file: m[1]!, code: m[2]! }));

test('the walk-through quotes code', () => {
  assert.ok(quotes.length >= 5, `found ${quotes.length} quotes`);
});

test('every quote is verbatim in the file it names', () => {
  for (const q of quotes) {
    const source = readFileSync(join(packageRoot, q.file), 'utf8');
    assert.ok(source.includes(q.code), `${q.file} no longer contains:\n${q.code}`);
  }
});

test.run();
