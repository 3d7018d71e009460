// Builds a Linux repository mode (apk, deb, rpm, pacman) from a RepoFormat: kinds artifact / auxiliary /
// metadata, the route table (artifacts and auxiliaries through the engine cache, everything else through
// the repository engine), hooks and the instance-wide cleanup task.
import { defineMode, type ModeDefinition, type HookContext, type ModeConfig, type JSONSchema } from '../../engine/mode.js';
import type { RepoFormat } from './format.js';
import { RepoInstance } from './repo.js';
import { repoSettings } from './settings.js';

export interface LinuxRepoModeSpec {
  name: string;
  format: RepoFormat;
  schema: JSONSchema;
  /** artifact and auxiliary file names (mount-relative path) */
  artifact: RegExp;
  auxiliary: RegExp;
  defaultRefresh: string;
  snippet: (url: string) => string;
  dotSegments?: 'reject' | 'drop';
  discover?: ModeDefinition['discover'];
}

export function defineLinuxRepoMode(spec: LinuxRepoModeSpec): Readonly<ModeDefinition> {
  // one repository engine per instance, created on first use
  const instances = new Map<string, RepoInstance>();
  const repo = (ctx: HookContext): RepoInstance => {
    let r = instances.get(ctx.instance);
    if (!r) { r = new RepoInstance(spec.format, ctx, repoSettings(ctx.config, { refresh: spec.defaultRefresh })); instances.set(ctx.instance, r); }
    return r;
  };
  return defineMode({
    name: spec.name,
    contract: 1,
    schema: spec.schema,
    mount: 'route',
    dotSegments: spec.dotSegments,
    kinds: {
      // keyed by path, verified against the package indexes of every retained generation; the mode's
      // cleanup applies artifact_expire_after to unlisted ones only (listed artifacts never age out)
      artifact: {
        policy: 'immutable', busy: 'join', expiry: 'mode', allow: { policy: ['immutable', 'revalidate', 'bypass'] },
        cache: { admit: ({ match, ctx }) => repo(ctx).admit(match.path), reverify: true },
        upstream: { failoverOn404: true },
        body: { verify: ({ match, ctx }) => repo(ctx).expected(match.path) },
      },
      auxiliary: { policy: 'revalidate', fresh_for: '30s', busy: 'bypass' },
      // governed by generations, not by a policy: no metadata_* keys
      metadata: { policy: 'bypass', keys: false },
    },
    routes: [
      { match: { regex: spec.artifact }, kind: 'artifact' },
      { match: { regex: spec.auxiliary }, kind: 'auxiliary' },
      { match: { regex: /^/ }, kind: 'metadata', respond: (m, _body, ctx) => repo(ctx).respond(m) },
    ],
    upstreams: (c: ModeConfig) => repoSettings(c, { refresh: spec.defaultRefresh }).upstreams,
    passHeaders: (c: ModeConfig) => ({ names: (c.pass_headers as string[] | undefined) ?? [], keyed: false }),
    hooks: {
      snippet: spec.snippet,
      setup: (ctx) => repo(ctx).setup(),
      stop: async (ctx) => { await repo(ctx).stop(); instances.delete(ctx.instance); },
      status: async (ctx) => repo(ctx).status(),
    },
    tasks: [{
      type: 'repo_cleanup',
      interval: (c: ModeConfig) => repoSettings(c, { refresh: spec.defaultRefresh }).cleanupMs,
      run: (ctx) => repo(ctx).cleanup(ctx.signal),
    }],
    discover: spec.discover,
  });
}
