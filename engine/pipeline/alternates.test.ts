import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Alternates } from '../mode.js';
import { rankAlternates } from './alternates.js';

const ABBREV = 'application/vnd.npm.install-v1+json';
const alt: Alternates = { header: 'accept', classes: ['short', 'full'], derive: [{ from: 'full', to: 'short', type: ABBREV, transform: (b) => b }] };
const NPM = `${ABBREV}; q=1.0, application/json; q=0.8, */*`;
const rank = (accept: string | undefined, own: string, stored: Record<string, string>) =>
  rankAlternates(accept, own, new Map(Object.entries(stored)), alt).map((c) => `${c.derive ? 'derived from ' : ''}${c.cls} q=${c.q}`);

test('the client preferring the abbreviated type gets it derived before the stored full document', () => {
  assert.equal(rank(NPM, 'short', { full: 'application/json' }), ['derived from full q=1', 'full q=0.8']);
});

test('equal quality: the stored body first', () => {
  assert.equal(rank(`${ABBREV}, application/json`, 'short', { full: 'application/json' }), ['full q=1', 'derived from full q=1']);
  assert.equal(rank(undefined, 'short', { full: 'application/json' }), ['full q=1', 'derived from full q=1']);
});

test('only what the Accept allows, never the own class, no derivation towards another class', () => {
  assert.equal(rank('text/html', 'short', { full: 'application/json' }), []);
  assert.equal(rank(ABBREV, 'short', { full: 'application/json' }), ['derived from full q=1']);
  assert.equal(rank('application/json', 'full', { short: ABBREV }), [], 'no abbreviated answer for a client that wants only JSON');
  assert.equal(rank('application/json', 'full', { full: 'application/json' }), [], 'the own class is not an alternate');
  assert.equal(rank('*/*', 'full', { short: ABBREV }), ['short q=1'], 'nothing is derived towards full');
  assert.equal(rank(NPM, 'short', {}), []);
});

test.run();
