import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyEdits, attrOf, attrText, baseOf, decodeEntities, scanTags } from './html.js';

const A = new Set(['a', 'base']);

test('anchors in every quoting form, with entities decoded', () => {
  const html = `<html><body>
<a href="/p/a-1.whl#sha256=aa" data-requires-python="&gt;=3.8">a</a>
<A HREF='/p/b-1.whl?x=1&amp;y=2'>b</A>
<a href=/p/c-1.tar.gz data-yanked>c</a>
<a data-yanked="bad &quot;build&quot;" href = "c&#x2d;2.zip">d</a>
<!-- <a href="/hidden"> -->
<script>var s = "<a href='/no'>";</script>
<a title="x > y" href="/after-gt">e</a>
</body></html>`;
  const tags = scanTags(html, A);
  assert.equal(tags.map((t) => attrOf(t, 'href')?.value), ['/p/a-1.whl#sha256=aa', '/p/b-1.whl?x=1&y=2', '/p/c-1.tar.gz', 'c-2.zip', '/after-gt']);
  assert.equal(tags.map((t) => attrOf(t, 'href')?.quote), ['"', "'", '', '"', '"']);
  assert.is(attrOf(tags[0]!, 'data-requires-python')!.value, '>=3.8');
  assert.is(attrOf(tags[2]!, 'data-yanked')!.quote, null, 'a bare attribute');
  assert.is(attrOf(tags[3]!, 'data-yanked')!.value, 'bad "build"');
});

test('base href and entity decoding', () => {
  const html = '<base href="https://files.example/root/"><a href="x/y.whl">y</a>';
  assert.is(baseOf(scanTags(html, A), 'https://index.example/simple/y/'), 'https://files.example/root/');
  assert.is(baseOf(scanTags('<a href=x>', A), 'https://index.example/simple/y/'), 'https://index.example/simple/y/');
  assert.is(decodeEntities('&amp;&#38;&#x26;&lt;&unknown;'), '&&&<&unknown;');
});

test('edits replace only their ranges: every other byte kept, UTF-8 included', () => {
  const html = Buffer.from('<p>é</p><a href="old" data-x="ü">t</a>', 'utf8').toString('latin1');
  const [tag] = scanTags(html, A);
  const href = attrOf(tag!, 'href')!;
  assert.is(attrOf(tag!, 'data-x')!.value, 'ü');
  const out = applyEdits(html, [{ start: href.valueStart - 1, end: href.valueEnd + 1, text: attrText('new?a=1&b=ß', '"') }]);
  assert.is(out.toString('utf8'), '<p>é</p><a href="new?a=1&amp;b=ß" data-x="ü">t</a>');
  assert.is(attrText('a b', ''), '"a b"', 'an unquoted value that needs quotes gets them');
  assert.is(attrText("it's", "'"), "'it&#39;s'");
});

test.run();
