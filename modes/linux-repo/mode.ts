// Builds a Linux repository mode (apk, deb, rpm, pacman) from a RepoFormat: kinds artifact / auxiliary /
// metadata, the route table (artifacts and auxiliaries through the engine cache, everything else through
// the instance's repository controller).
import { defineMode, type ModeDefinition, type ModeConfig, type JSONSchema } from '../../engine/mode.js';
import { controllerOf } from '../../engine/controller.js';
import type { RepoFormat } from './format.js';
import { RepoInstance } from './repo.js';
import { settings, repoUpstreams } from './settings.js';

export interface LinuxRepoModeSpec {
  name: string;
  format: RepoFormat;
  schema: JSONSchema;
  /** artifact and auxiliary file names (mount-relative path) */
  artifact: RegExp;
  auxiliary: RegExp;
  snippet: (url: string) => string;
  dotSegments?: 'reject' | 'drop';
  discover?: ModeDefinition['discover'];
}

export function defineLinuxRepoMode(spec: LinuxRepoModeSpec): Readonly<ModeDefinition> {
  const repo = controllerOf<RepoInstance>;
  return defineMode({
    name: spec.name,
    contract: 1,
    schema: spec.schema,
    mount: 'route',
    settings: settings.parse,
    removedKeys: { metadata_policy: 'metadata is governed by generations; remove the key' },
    dotSegments: spec.dotSegments,
    kinds: {
      // keyed by path, verified against the package indexes of every retained generation; the mode's
      // cleanup applies artifact_expire_after to unlisted ones only (listed artifacts never age out)
      artifact: {
        policy: 'immutable', busy: 'join', expiry: 'mode', allow: { policy: ['immutable', 'revalidate', 'bypass'] },
        cache: { admit: ({ match, ctx }) => repo(ctx).admit(match.path), reverify: true },
        upstream: { failoverOnStatus: [404] },
        body: {
          verify: ({ match, ctx }) => repo(ctx).expected(match.path),
          ...(spec.format.checkArtifact ? { check: ({ match, ctx, open }) => repo(ctx).check(match.path, open) } : {}),
        },
      },
      auxiliary: { policy: 'revalidate', fresh_for: '30s', busy: 'bypass' },
      // governed by generations, not by a policy: no metadata_* keys
      metadata: { policy: 'bypass', keys: false },
    },
    routes: [
      { match: { regex: spec.artifact }, kind: 'artifact' },
      { match: { regex: spec.auxiliary }, kind: 'auxiliary' },
      // in a cluster a root's metadata is served by the node that owns the root (one node refreshes it)
      { match: { regex: /^/ }, kind: 'metadata', respond: (m, _body, ctx) => repo(ctx).respond(m), owner: (m, ctx) => repo(ctx).ownerKey(m.path) },
    ],
    upstreams: repoUpstreams,
    passHeaders: (c: ModeConfig) => ({ names: (c.pass_headers as string[] | undefined) ?? [], keyed: false }),
    hooks: { snippet: spec.snippet },
    instance: (ctx) => new RepoInstance(spec.format, ctx, settings.of(ctx)),
    discover: spec.discover,
  });
}
