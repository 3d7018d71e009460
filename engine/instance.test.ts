import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defineMode, modeSettings, type ModeConfig } from './mode.js';
import { Instance } from './instance.js';
import { modeBlockWithDefaults } from './config/schema.js';
import { parseSize } from './config/values.js';

let parsed = 0;
let sized = 0;
const settings = modeSettings((c: ModeConfig) => { parsed++; return { limit: parseSize(c.limit as string) }; });
const def = defineMode({
  name: 'settingstest', contract: 1, mount: 'route',
  schema: { type: 'object', properties: { upstream: { type: 'string' }, limit: { type: 'string', format: 'size', default: '2KiB' } } },
  settings: settings.parse,
  kinds: { doc: { policy: 'revalidate', body: { maxBytes: (c: ModeConfig) => { sized++; return parseSize(c.limit as string); } } } },
  routes: [{ match: { glob: '**' }, kind: 'doc' }],
  upstreams: (c: ModeConfig) => [String(c.upstream)],
});
const instance = (block: Record<string, unknown>) => new Instance(def, { name: 'i', enabled: true, mode: def.name, path: 'instances[0].settingstest', block: modeBlockWithDefaults(def, block) });

test('settings: parsed once per instance from the block with the schema defaults filled in', () => {
  parsed = 0;
  const i = instance({ route: { path: '/s' }, upstream: 'http://127.0.0.1:9' });
  assert.is(parsed, 1);
  assert.equal(settings.of(i), { limit: 2048 });
  assert.equal(settings.of(instance({ route: { path: '/s' }, upstream: 'http://127.0.0.1:9', limit: '1KiB' })), { limit: 1024 });
});

test('a mode without settings gets its block as ctx.settings', () => {
  const plain = defineMode({ ...def, settings: undefined });
  const i = new Instance(plain, { name: 'p', enabled: true, mode: def.name, path: 'instances[0].settingstest', block: { upstream: 'http://127.0.0.1:9' } });
  assert.equal(i.settings, { upstream: 'http://127.0.0.1:9' });
});

test('a kind\'s body.maxBytes function runs once per instance, not per request', () => {
  sized = 0;
  const i = instance({ route: { path: '/s' }, upstream: 'http://127.0.0.1:9', limit: '3KiB' });
  for (let n = 0; n < 5; n++) assert.is(i.maxBody(def.kinds.doc!), 3072);
  assert.is(sized, 1);
});

test.run();
