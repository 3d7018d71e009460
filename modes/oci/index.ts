// Mode `oci` (modes/oci.md): configuration and kinds. Routes, token auth and hooks arrive with
// issue #5; until then the engine warns at start that this mode serves nothing.
import { defineMode, type ModeConfig } from '../../engine/mode.js';
import { readSchema } from '../../engine/paths.js';

export default defineMode({
  name: 'oci',
  contract: 1,
  schema: readSchema('oci'),
  mount: 'either',
  kinds: {
    tag: { policy: 'revalidate', busy: 'bypass', revalidateWith: 'head' },
    manifest: { policy: 'immutable', busy: 'join', allow: { policy: ['immutable', 'bypass'] } },
    blob: { policy: 'immutable', busy: 'join', allow: { policy: ['immutable', 'bypass'] } },
    referrers: { policy: 'revalidate', busy: 'stale' },
    tags_list: { policy: 'revalidate', busy: 'stale' },
  },
  aliases: { default_policy: 'tag_policy', fresh_for: 'tag_fresh_for', busy_policy: 'tag_busy_policy' },
  rules: { subject: 'repository', combine: 'first', kinds: ['tag'] },
  routes: [],
  upstreams: (c: ModeConfig) => (c.upstream ? [String(c.upstream)] : []),
});
