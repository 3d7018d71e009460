// Minimal mode definitions for the config tests, built from the mode schemas and the kind table of
// engine spec §2.2 (so the config tests do not depend on the mode implementations).
import type { ModeDefinition, ModeConfig } from '../mode.js';
import { readSchema } from '../paths.js';

const list = (c: ModeConfig, key: string): string[] => {
  const v = c[key];
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
};

export const testFileMode: ModeDefinition = {
  name: 'file',
  contract: 1,
  schema: readSchema('file'),
  mount: 'route',
  kinds: { file: { policy: 'bypass', busy: 'bypass' } },
  aliases: { default_policy: 'file_policy', fresh_for: 'file_fresh_for', busy_policy: 'file_busy_policy' },
  rules: { subject: 'path', combine: 'cumulative' },
  routes: [{ match: { glob: '**' }, kind: 'file' }],
  upstreams: (c) => list(c, 'upstreams'),
};

export const testNpmMode: ModeDefinition = {
  name: 'npm',
  contract: 1,
  schema: readSchema('npm'),
  mount: 'route',
  kinds: {
    metadata: { policy: 'revalidate', busy: 'stale' },
    tarball: { policy: 'immutable', busy: 'join' },
  },
  routes: [
    { match: { pattern: ':name/-/*file' }, kind: 'tarball' },
    { match: { pattern: ':name' }, kind: 'metadata' },
  ],
  upstreams: (c) => list(c, 'upstream'),
};

export const testOciMode: ModeDefinition = {
  name: 'oci',
  contract: 1,
  schema: readSchema('oci'),
  mount: 'either',
  kinds: {
    tag: { policy: 'revalidate', busy: 'bypass' },
    manifest: { policy: 'immutable', busy: 'join', allow: { policy: ['immutable', 'bypass'] } },
    blob: { policy: 'immutable', busy: 'join', allow: { policy: ['immutable', 'bypass'] } },
    referrers: { policy: 'revalidate', fresh_for: '5m', busy: 'stale', expire_after: '168h' },
    tags_list: { policy: 'revalidate', fresh_for: '1m', busy: 'stale', expire_after: '24h' },
  },
  aliases: { default_policy: 'tag_policy', fresh_for: 'tag_fresh_for', busy_policy: 'tag_busy_policy' },
  rules: { subject: 'repository', combine: 'first', kinds: ['tag'] },
  routes: [
    { match: { regex: /^v2\/$/ }, status: 404 },
    { match: { regex: /^v2\/(?<repository>.+)\/manifests\/(?<reference>[^/]+)$/ }, kind: 'tag' },
    { match: { regex: /^v2\/(?<repository>.+)\/blobs\/(?<digest>[^/]+)$/ }, kind: 'blob' },
  ],
  upstreams: (c) => list(c, 'upstream'),
};

/** a pypi-shaped mode (kinds index, file, companion) to check that removed `artifact_*` keys say what replaces them */
export const testPypiMode: ModeDefinition = {
  name: 'pypi',
  contract: 1,
  schema: { type: 'object', required: ['upstream'], properties: { upstream: { type: 'string', format: 'url' } } },
  mount: 'route',
  kinds: {
    index: { policy: 'revalidate', busy: 'stale' },
    file: { policy: 'immutable', busy: 'join' },
    companion: { policy: 'immutable', busy: 'join' },
  },
  routes: [{ match: { glob: 'simple/**' }, kind: 'index' }, { match: { glob: 'packages/**' }, kind: 'file' }],
  upstreams: (c) => list(c, 'upstream'),
};

export const testModes: readonly ModeDefinition[] = [testFileMode, testNpmMode, testOciMode, testPypiMode];
