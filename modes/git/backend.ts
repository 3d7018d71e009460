// The seam between a repository's life (repository.ts, controller.ts) and the machinery that keeps and serves
// its mirror: sync into it and publish a snapshot, then answer smart-HTTP requests from a published snapshot.
// Two implementations: backends/git-binary.ts (the system `git`) and backends/isomorphic.ts (isomorphic-git,
// for small repositories on machines without git).
import type { RespondOutput } from '../../engine/mode.js';
import type { Snapshot, SyncResult } from './mirror.js';
import type { RepoSpec } from './settings.js';

/** one request to serve: the snapshot it took when it started, the client's protocol (GIT_PROTOCOL form), our agent */
export interface ServeRequest { snapshot: Snapshot; protocol: string | undefined; agent: string }

/** counted once per POSTed exchange: a new pack computation, or one joined while in flight */
export interface ExchangeCounters { run(): void; join(): void }

export interface GitBackend {
  readonly dir: string;
  /** the upstream URL without userinfo */
  readonly upstream: string;
  /** values to redact wherever upstream messages are shown */
  readonly secrets: readonly string[];
  /** the published snapshot, null before the first successful clone */
  readonly snapshot: Snapshot | null;
  /** the snapshot kept on disk (restart) */
  load(): Promise<Snapshot | null>;
  /** clone or sync, publishing a new snapshot only once its objects are complete */
  sync(signal?: AbortSignal): Promise<SyncResult>;
  /** GET info/refs?service=git-upload-pack */
  advertise(r: ServeRequest): Promise<RespondOutput>;
  /** POST git-upload-pack (body already gunzipped); `command` is the v2 command, if any */
  exchange(r: ServeRequest, body: Buffer, command: string | undefined, counted: ExchangeCounters): Promise<RespondOutput>;
}

export type BackendName = 'git' | 'isomorphic-git';
export type BackendFactory = (dir: string, spec: RepoSpec) => GitBackend;
