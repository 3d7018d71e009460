import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SEP, tomlStrings } from './toml.js';

const get = (text: string, ...path: string[]) => tomlStrings(text).get(path.join(SEP));

test('tables, quoted and dotted keys, inline tables, both string kinds, escapes', () => {
  const text = `# comment
top = "x" # trailing
[source."crates-io"]
replace-with = 'mirror'
[source]
mirror = { registry = "sparse+http://r.example/index/", other = 1 }
a.b."c.d" = "\\u0041\\t"
[net]
retry = 3
`;
  assert.is(get(text, 'top'), 'x');
  assert.is(get(text, 'source', 'crates-io', 'replace-with'), 'mirror');
  assert.is(get(text, 'source', 'mirror', 'registry'), 'sparse+http://r.example/index/');
  assert.is(get(text, 'source', 'a', 'b', 'c.d'), 'A\t');
  assert.is(get(text, 'net', 'retry'), undefined, 'non-strings are skipped');
});

test('values skipped whole: multi-line arrays and strings, arrays of tables', () => {
  const text = `[build]
rustflags = [
  "-C", # a comment inside
  "x]",
]
doc = """
[source.fake]
registry = "no"
"""
[[bin]]
registry = "no"
[source.real]
registry = "yes"
`;
  const v = tomlStrings(text);
  assert.is(v.get(['source', 'fake', 'registry'].join(SEP)), undefined);
  assert.is(v.get(['bin', 'registry'].join(SEP)), undefined);
  assert.is(v.get(['source', 'real', 'registry'].join(SEP)), 'yes');
});

test('broken documents throw', () => {
  for (const bad of ['[a', 'k = "open', 'k v', 'k = { a = "b"']) assert.throws(() => tomlStrings(bad), /TOML/, bad);
});

test.run();
