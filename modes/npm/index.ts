// Mode `npm` (modes/npm.md): configuration and kinds. Routes and hooks arrive with issue #4;
// until then the engine warns at start that this mode serves nothing.
import { defineMode, type ModeConfig } from '../../engine/mode.js';
import { readSchema } from '../../engine/paths.js';

export default defineMode({
  name: 'npm',
  contract: 1,
  schema: readSchema('npm'),
  mount: 'route',
  kinds: {
    metadata: { policy: 'revalidate', busy: 'stale' },
    tarball: { policy: 'immutable', busy: 'join' },
    attestation: { policy: 'immutable', busy: 'join' },
  },
  routes: [],
  upstreams: (c: ModeConfig) => [String(c.upstream)],
});
