import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientLink, rewriteTagsList, rewriteReferrers } from './links.js';
import type { Match } from '../../engine/mode.js';

test('Link targets get the client path form back (registry name, short name, ns); others untouched', () => {
  assert.is(clientLink('</v2/library/demo/tags/list?last=v1&n=1>; rel="next"', 'library/demo', 'registry.example/demo'),
    '</v2/registry.example/demo/tags/list?last=v1&n=1>; rel="next"');
  assert.is(clientLink('</v2/team/app/referrers/sha256:ab?n=2>; rel="next"', 'team/app', 'team/app', 'second.example'),
    '</v2/team/app/referrers/sha256:ab?n=2&ns=second.example>; rel="next"');
  assert.is(clientLink('<https://elsewhere.example/page2>; rel="next"', 'a', 'b'), '<https://elsewhere.example/page2>; rel="next"');
});

test('rewrite hooks: listings keep their bytes; referrers get the index content type', async () => {
  const match = { path: 'second.example/team/app/tags/list', query: new URLSearchParams(), config: { registries: [{ name: 'second.example', upstream: 'https://second.example' }] } } as unknown as Match;
  const body = Buffer.from('{"tags":["a"]}');
  const r = await rewriteTagsList({ body, headers: { link: '</v2/team/app/tags/list?last=a>; rel="next"' }, publicBase: '', match, ctx: {} as never });
  assert.ok(r.body.equals(body));
  assert.equal(r.headers, { link: '</v2/second.example/team/app/tags/list?last=a>; rel="next"' });
  const ref = await rewriteReferrers({ body, headers: { 'content-type': 'application/json' }, publicBase: '', match: { ...match, path: 'second.example/team/app/referrers/sha256:ab' } as Match, ctx: {} as never });
  assert.is(ref.headers!['content-type'], 'application/vnd.oci.image.index.v1+json');
});

test.run();
