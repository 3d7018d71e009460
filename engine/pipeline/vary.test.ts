import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KindSpec } from '../mode.js';
import { targetOfPath, varyClasses } from './vary.js';

const kind: KindSpec = { policy: 'revalidate', cache: { vary: { accept: (v, c) => (c.json === false || !v?.includes('json') ? 'html' : 'json') } } };

test('vary classes: from the client header, the instance block, or the route that stands for one class', () => {
  assert.equal(varyClasses(kind, { accept: 'application/json' }, {}, {}), [['accept', 'json']]);
  assert.equal(varyClasses(kind, { accept: 'application/json' }, {}, { json: false }), [['accept', 'html']], 'the block decides');
  assert.equal(varyClasses(kind, { accept: 'text/html' }, { accept: 'application/json' }, {}), [['accept', 'json']], 'the route header wins');
  assert.equal(varyClasses({ policy: 'immutable' }, { accept: 'x' }, {}, {}), []);
});

test('fetchThrough targets keep a trailing slash', () => {
  assert.equal(targetOfPath('simple/demo/'), { segments: ['simple', 'demo'], rawSegments: ['simple', 'demo'], trailingSlash: true, query: '' });
  assert.is(targetOfPath('pkg').trailingSlash, false);
  assert.is(targetOfPath('/').trailingSlash, false);
  assert.equal(targetOfPath('@s/a b').rawSegments, ['%40s', 'a%20b'], 'segments escaped as before');
});

test.run();
