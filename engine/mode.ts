// The mode DSL: a mode is a plain object describing kinds, routes and narrow hooks.
// The engine interprets it; it never branches on a mode's name.
import type { Readable } from 'node:stream';

export type Policy = 'bypass' | 'immutable' | 'revalidate';
export type Busy = 'join' | 'stale' | 'bypass';
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
export type JSONSchema = Record<string, unknown>;
export type ModeConfig = Readonly<Record<string, unknown>>;

/**
 * A kind: how one class of resources is cached. Its hooks attach to the named stages of a body's life, which
 * run in this order:
 *
 *   admit       cache.admit        before any cache decision: cache it, pass it through (PASSTHROUGH), or refuse
 *   head check  body.admitHead     the upstream head of a 200: store the body, pass it through uncached, or refuse
 *   verify      body.verify        expected digests (or body.pinnedBy: digests another kind's documents recorded),
 *                                  hashed while the body streams to the clients
 *   check       body.check         the completed temp file, read (streamed, any size) before the commit
 *   index       body.index         pins and fetch targets taken from the complete body
 *   commit                         blob and entry written (body.storeHeaders kept; bind.to adds the bound key)
 *   rewrite     body.rewrite       on the way out, per response; the stored body stays the upstream's
 *
 * A failure at head check, verify, check or index stores nothing and answers 502 (or ends a transfer already
 * under way); verify and check failures count in cache_proxy_verify_failures_total.
 */
export interface KindSpec {
  // defaults of the kind's derived config keys (K_policy, K_fresh_for, K_busy_policy, K_expire_after)
  policy: Policy;
  fresh_for?: string;
  busy?: Busy;
  expire_after?: string;
  /** values a config may choose */
  allow?: { policy?: Policy[]; busy?: Busy[] };
  /** false: no derived K_* keys; sharedWith: use another kind's keys */
  keys?: false | { sharedWith: string };
  /** 'mode': entries of this kind get no engine expiry; the mode's own cleanup applies K_expire_after (ctx.cache) */
  expiry?: 'engine' | 'mode';
  /** the request's key and what may answer it */
  cache?: CacheStage;
  /** how the upstream is asked */
  upstream?: UpstreamStage;
  /** the stages a fetched body passes through, in the order above */
  body?: BodyStages;
  /** a mutable name bound to content another kind stores */
  bind?: BindStage;
}

export interface CacheStage {
  /** request header (lower case) -> class; class keyed, canonical value forwarded. The class may depend on the
   *  instance's block; a route whose `headers` set the header (an alias meaning one class) stands for the client's */
  vary?: Record<string, (value: string | undefined, config: ModeConfig) => string>;
  /** other representations of a key (classes of one `vary` header) that may answer when the request's own class is
   *  not stored and cannot be fetched (offline, or when a stale copy of it would be served): see Alternates */
  alternates?: Alternates;
  /** before any cache decision: 'cache' (normal), 'pass' (forwarded, not stored: PASSTHROUGH) or an error answer */
  admit?: (input: { match: Match; ctx: HookContext }) => Promise<'cache' | 'pass' | { status: number; message: string }>;
  /** a stored entry whose digests or size contradict `body.verify`'s current answer is a miss (refetched, verified, replaced) */
  reverify?: boolean;
}

export interface UpstreamStage {
  /** 'head': a stale entry is revalidated by a HEAD (its ETag or, with bind, the name it binds) before any GET */
  revalidateWith?: 'get' | 'head';
  /** statuses besides 404 and 410 that mean "no such resource": passed through, stored entry dropped, negatively cached */
  goneStatuses?: number[];
  /** these statuses (404, 410) from one upstream move on to the next: the upstreams are a list of sources by
   *  precedence (a GOPROXY list), and the last one's answer, status and body, is the client's */
  failoverOnStatus?: (404 | 410)[];
  /** 'public': redirects may also go to any https host with only public addresses (content verified by digest on a CDN) */
  redirects?: 'configured' | 'public';
}

export interface BodyStages {
  /** head check: from the upstream head of a 200: store it, pass it through uncached, or refuse it (502, nothing stored) */
  admitHead?: (head: { headers: Record<string, string>; size?: number }, m: Match) => 'store' | 'pass' | { reject: string };
  verify?: VerifyHook;
  /** verify from pins another kind's documents recorded (instead of `verify`): see PinnedBy */
  pinnedBy?: PinnedBy;
  /** check: reads the completed body (the temp file, streamed) before it is committed: see CheckHook */
  check?: CheckHook;
  /** the Content-Type of a stored or filling body, whatever the upstream sent (a protocol that fixes it per file) */
  contentType?: string | ((m: Match) => string);
  index?: IndexHook;
  /** largest body a rewrite or index kind accepts (size string, or from config); larger → 502, nothing stored */
  maxBytes?: string | ((config: ModeConfig) => number);
  /** upstream response headers kept in the entry besides the engine's own list */
  storeHeaders?: string[];
  rewrite?: RewriteHook;
}

/**
 * Pinned verification: this kind's expected digests are pins that another kind's `index` hook recorded from its
 * documents (npm tarball ← packument). When the pin is missing, the engine fetches `source` through the cache
 * (its index hook records the pins) and looks again; still unknown, the body is served, not stored.
 */
export interface PinnedBy {
  /** where the pin of this request lives: ctx.pins group and key; null = nothing to verify against (served, not stored) */
  pin: (m: Match) => { group: string; key: string } | null;
  /** the document that records the pin, as a mount-relative path of this instance */
  source: (m: Match) => { path: string; headers?: Record<string, string> };
  /** the expectation a pin gives; null = the pin names no usable digest */
  expected: (pin: Pin, m: Match) => VerifyResult;
  /** the fill target the pin names (a relative path or URL), used in place of the route's upstream; it may read
   *  other stored facts through ctx (a registry-wide download template) */
  target?: (pin: Pin, m: Match, ctx: HookContext) => string | undefined | Promise<string | undefined>;
  /** the pin stays unknown after `source` was fetched: 'skip' (default) serves the body unstored, 'store' keeps it
   *  unverified, `{ notFound }` answers 404 with that message before any fetch (the source is the authority on what exists) */
  unknown?: (m: Match) => 'skip' | 'store' | { notFound: string };
}

export interface BindStage {
  /** the content another kind stores that this name (an OCI tag) is bound to, from the upstream head or, once
   *  known, the body's digests: see BindTarget */
  to: (m: Match, headers: Record<string, string>, digests?: Record<string, string>) => BindTarget | null;
}

/**
 * The classes `header` (a `vary` header of the kind) stores a key under. When the request's class is neither stored
 * nor fetchable, a stored class whose Content-Type the request's Accept allows (q > 0), or a class made from a stored
 * one by a derivation, answers `STALE` — the highest q wins, a stored body on a tie. Derived bodies are never stored.
 */
export interface Alternates { header: string; classes: string[]; derive?: Derivation[] }
export interface Derivation {
  /** the stored class read */
  from: string;
  /** the class made */
  to: string;
  /** Content-Type of what it makes */
  type: string;
  /** the stored (upstream, not rewritten) body of `from` → the body of `to` (the kind's rewrite still applies); throwing = not derivable */
  transform: (body: Buffer) => Buffer;
}

/**
 * What a binding kind's upstream head (or, once known, its body's digests) names: a key of another kind of the
 * same mode, where to fetch it and what it must hash to. The binding's entry shares that content's bytes; the
 * target is stored under its own key too; a HEAD revalidation naming the bound key is "unchanged", another cached
 * key is a rebind without a GET, an uncached one is fetched from `upstream`, verified against `verify` and bound.
 */
export interface BindTarget { kind: string; key: string; upstream: string | string[]; verify?: Digests }

export type RouteMatcher = { glob: string } | { pattern: string } | { regex: RegExp };

export interface ReqView {
  method: string;
  path: string; // mount-relative, no leading '/'
  headers: Readonly<Record<string, string | undefined>>;
  query: URLSearchParams;
  /** the request target ended in "/" (`a/b/` and `a/b` have one path; directory-style pages tell them apart) */
  trailingSlash?: boolean;
}

export interface Match extends ReqView {
  params: Readonly<Record<string, string>>;
  segments: readonly string[];
  trailingSlash: boolean;
  config: ModeConfig;
}

export type QueryMode = 'drop' | 'forward' | 'forward+key';

export interface RouteSpec {
  match: RouteMatcher;
  methods?: Method[];
  when?: (req: ReqView, config: ModeConfig) => boolean;
  kind?: string;
  key?: string | ((m: Match) => string);
  /** relative path or absolute target URL; a list = candidates in order (mirrors first); a function may consult ctx (pins,
   *  targetAllowed) and answer null when the request names nothing it may fetch: 404 (`message`), no upstream contact */
  upstream?: string | ((m: Match, ctx: HookContext) => string | string[] | null | Promise<string | string[] | null>);
  /** what happens to the request's query string; a function decides it from the instance's block (default 'drop') */
  query?: QueryMode | ((config: ModeConfig) => QueryMode);
  headers?: (m: Match) => Record<string, string>;
  respond?: RespondHook;
  /**
   * A respond route's OWNER KEY: the name of the per-instance state the answer comes from (a git repository, a
   * repository metadata root). In a cluster the request is answered by the node that owns that name, reached in
   * one hop, so one node keeps that state and asks its upstream; undefined: answered here, as on a single node.
   */
  owner?: (m: Match, ctx: HookContext) => string | undefined | Promise<string | undefined>;
  /** scope of this request for upstream auth challenges (OCI `repository:<name>:pull`) */
  authScope?: (m: Match) => string;
  status?: 403 | 404 | 405 | 410;
  message?: string;
  maxBody?: string;
}

/** Mode-level rules[] block: globs → overrides of kind settings. */
export interface RuleSpec {
  subject: 'path' | string; // 'path' or a route param name
  combine: 'cumulative' | 'first';
  kinds?: string[]; // kinds the rules apply to (default all)
  /** extra per-rule fields (JSON Schema properties) beyond match/policy/fresh_for/busy_policy/expire_after */
  fields?: Record<string, JSONSchema>;
}

export interface Digests {
  size?: number;
  sha256?: string;
  sha384?: string;
  sha512?: string;
  sha1?: string;
  md5?: string;
}

/** one pinned key: small string facts a mode recorded (digests, the fill target, ...) */
export type Pin = Readonly<Record<string, string>>;

/** persisted per-instance pins, grouped (a group is what one indexed document declares together) */
export interface PinStore {
  get(group: string): Promise<Readonly<Record<string, Pin>> | null>;
  merge(group: string, pins: Record<string, Pin>): Promise<void>;
}

export interface HookContext {
  config: ModeConfig;
  /** what the mode's `settings` made of this instance's block, once (the block itself when the mode declares none) */
  settings: unknown;
  instance: string;
  log: Logger;
  /** fetch a key of this same instance through the full cache pipeline (rules apply) */
  fetchThrough(path: string, opts?: { signal?: AbortSignal; headers?: Record<string, string> }): Promise<{ status: number; body: Buffer } | null>;
  signal: AbortSignal;
  pins: PinStore;
  /** whether this instance may fetch the URL: configured origins, mode origins, allow_hosts, learned targets */
  targetAllowed(url: string): boolean;
  /** mode counters (`cache_proxy_*`), labelled with the instance */
  count(name: string, help: string): void;
  /** mode-private directory of this instance (created on demand; data stays under the instance name) */
  privateDir: string;
  /** small atomic JSON documents of this instance (state/<instance>/<name>.json) */
  state: ModeState;
  /** upstream access through the engine: slot limits, failover, health, cooldowns, credentials, SSRF guard */
  fetch: (o: UpstreamFetch) => Promise<UpstreamReply>;
  /** background tasks of this instance added, removed and triggered at run time */
  tasks: ModeTasks;
  /** mode metric families on the engine registry (get-or-create by name) */
  metrics: ModeMetrics;
  /** status events (/-/status/events) */
  events: { emit(e: { result: string; target?: string; task_type?: string; reason_code?: string; message?: string }): void };
  /** entries of this instance (for a mode's own cleanup) */
  cache: ModeCache;
  /** storage.cleanup settings a mode's own cleanup honours */
  cleanup: { dryRun: boolean; batchSize: number };
}

export interface ModeState { read(name: string): Promise<unknown>; write(name: string, doc: unknown): Promise<void> }

export interface UpstreamFetch {
  /** mount-relative upstream path (segments already escaped), appended to each base */
  path: string;
  /** upstream bases to use, in this order before health ordering (default: every configured upstream) */
  bases?: string[];
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  /** request body of a POST (a read-only passthrough such as npm audits) */
  body?: Buffer;
  signal?: AbortSignal;
  /** move on to the next upstream after these statuses */
  failoverOnStatus?: (404 | 410)[];
  /** a client is waiting (foreground slots); default false */
  foreground?: boolean;
}
export interface UpstreamReply { status: number; headers: Record<string, string>; body: Readable; /** the configured base that answered */ base: string; url: string; release(): void }

export type TaskResult = 'success' | 'updated' | 'unchanged' | 'skipped' | 'failed';
export interface ModeTasks {
  /** task id <instance>:<type>:<target>; persisted timing is restored when the same id is added again */
  add(t: { type: string; target: string; intervalMs: number; firstRunInMs?: number; run: (signal: AbortSignal) => Promise<TaskResult | void> }): void;
  remove(type: string, target: string): void;
  trigger(type: string, target: string): void;
}
export interface ModeMetrics {
  counter(name: string, help: string, labelNames: string[]): { inc(labels: Record<string, string>, n?: number): void };
  histogram(name: string, help: string, labelNames: string[]): { observe(labels: Record<string, string>, v: number): void };
  /** a value that goes up and down or is set outright (a timestamp, a size) */
  gauge(name: string, help: string, labelNames: string[]): { set(labels: Record<string, string>, v: number): void };
}
export interface ModeCacheEntry { kind: string; key: string; size: number; lastUsedAt: number; digests: Record<string, string> }
export interface ModeCache {
  /** every entry of this instance (streamed); key = the route key (default: the mount-relative path) */
  list(): AsyncIterable<ModeCacheEntry>;
  delete(kind: string, key: string): Promise<void>;
}

export interface VerifyInput {
  match: Match;
  /** whether this fill is itself a checksum source (no recursion) */
  ctx: HookContext;
  rule: Readonly<Record<string, unknown>>;
  /** the upstream response headers, when called at fill start */
  headers?: Readonly<Record<string, string>>;
}
export type VerifyResult = (Digests & {
  source?: string;
  /** the digest is unknown: serve the body as BYPASS, store nothing (counted as verify skipped) */
  skip?: boolean;
  /** with skip: store the body all the same, unverified (still counted as verify skipped) */
  keep?: boolean;
  /**
   * what the source pins that no computed digest covers (e.g. an index's checksum of one part of the file): kept
   * with the stored entry; with `cache.reverify`, an entry whose pin differs from the current one is not served
   */
  pin?: string;
  /** the client's message on a mismatch (hex digests) */
  describe?: (algo: string, expected: string, actual: string) => string;
  /**
   * the body's digest (hex) contradicts this expectation: called before the failure is declared, so the source
   * can be forgotten (the next attempt refetches it) or asked again; true = it now agrees and the body passes
   */
  onMismatch?: (algo: string, actual: string) => Promise<boolean | void>;
}) | null;
export type VerifyHook = (input: VerifyInput) => Promise<VerifyResult>;

export interface RewriteInput {
  body: Buffer;
  headers: Record<string, string>;
  publicBase: string;
  match: Match;
  ctx: HookContext;
}
export type RewriteHook = (input: RewriteInput) => Promise<{ body: Buffer; headers?: Record<string, string> }>;

export interface CheckInput {
  /** the complete body, read from the temp file; each call opens it anew (several passes are fine) */
  open(): Readable;
  size: number;
  headers: Readonly<Record<string, string>>;
  match: Match;
  ctx: HookContext;
}
/**
 * The check of a completed file, for what a streaming digest cannot prove (a digest over part of an archive,
 * a hash of a zip's directory tree, a document's shape). null passes; a reason (or a throw) fails the fill
 * exactly as a digest mismatch would: 502 (the reason is the client's message) or an ended transfer, nothing
 * stored, a verify failure counted.
 */
export type CheckHook = (input: CheckInput) => Promise<string | null>;

export interface IndexInput {
  body: Readable;
  headers: Readonly<Record<string, string>>;
  match: Match;
  ctx: HookContext;
}
export interface IndexResult {
  /** pins to merge, per group */
  pins?: { group: string; entries: Record<string, Pin> }[];
  /** URLs this response names as fetch targets (learned by the SSRF guard after its checks) */
  targets?: string[];
}
/**
 * Called with a complete, verified body of the kind before it is committed (also for bypassed bodies
 * of rewrite kinds). Throwing rejects the body: 502 with the error's message, nothing stored.
 */
export type IndexHook = (input: IndexInput) => Promise<IndexResult | void>;

export interface RespondOutput {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
  /** a stored file served by the engine with Range (206/416), client conditionals (304, via ETag/Last-Modified in headers) and HEAD */
  file?: { path: string; size: number };
}
export type RespondHook = (req: Match, body: Buffer, ctx: HookContext) => Promise<RespondOutput>;

export interface TaskSpec {
  type: string;
  interval: (config: ModeConfig) => number; // ms
  run: (ctx: HookContext) => Promise<'success' | 'updated' | 'unchanged' | 'skipped'>;
}

export interface StaticCredentials { type: 'basic' | 'bearer'; username?: string; password?: string; token?: string }

/** the `auth` block of a mode config (schema `cache-proxy/transport#/$defs/auth`) as credentials, or null for none */
export function credentialsFromAuth(config: ModeConfig): StaticCredentials | null {
  const a = config.auth as { type?: string; username?: string; password?: string; token?: string } | undefined;
  if (!a || !a.type || a.type === 'none') return null;
  return { type: a.type as 'basic' | 'bearer', username: a.username, password: a.password, token: a.token };
}
/** one parsed `WWW-Authenticate` challenge; scheme lower case, parameter names lower case */
export interface Challenge { scheme: string; params: Record<string, string> }
export interface UpstreamAuthInput {
  challenge: Challenge;
  /** the challenge's scope, else the route's */
  scope?: string;
  origin: string;
  credentials: StaticCredentials | null;
  /** GET a URL the challenge named (body ≤ 1 MiB) */
  get(url: string, headers?: Record<string, string>): Promise<{ status: number; headers: Record<string, string>; body: Buffer }>;
}
/** header for the retry, its lifetime (default 60 s) and issue time (ms since epoch); null = cannot answer */
export type UpstreamAuthHook = (i: UpstreamAuthInput) => Promise<{ header: string; lifetimeMs?: number; issuedAt?: number } | null>;

export interface ModeHooks {
  /** answers upstream 401 challenges other than Basic (engine: one retry, cache per realm/service/scope, scheme remembered per origin) */
  upstreamAuth?: UpstreamAuthHook;
  snippet?: (publicUrl: string, config: ModeConfig) => string;
  /** format an engine error; undefined keeps the engine's text/plain line */
  errorBody?: (status: number, code: string, message: string) => { body: string; type: string } | undefined;
  /** headers set on every response of an instance, errors included (OCI: Docker-Distribution-API-Version) */
  responseHeaders?: (req: ReqView, config: ModeConfig) => Record<string, string>;
  /** instance start, before the listeners serve (restore state; no upstream contact expected) */
  setup?: (ctx: HookContext) => Promise<void>;
  /** instance stop */
  stop?: (ctx: HookContext) => Promise<void>;
  /** mode details for the home page and /-/status/summary (e.g. repository roots) */
  status?: (ctx: HookContext) => Promise<Record<string, unknown>>;
}

/**
 * Content-addressed blobs an instance controller keeps in the engine store (a repository's metadata
 * generations). Committed blobs stay until the controller's next `hold` leaves them out; the engine's
 * blob GC then removes them like any other unreferenced blob.
 */
export interface InstanceBlobs {
  /** a fresh temp path on the store's filesystem (file not yet created) */
  tempPath(): string;
  /** move a completed, fsynced temp file in under its sha256 (hex); held from now on */
  commit(tempFile: string, sha256: string): Promise<void>;
  has(sha256: string): Promise<boolean>;
  /** the file of a stored blob on a store that keeps every blob on this machine (throws on a remote store) */
  path(sha256: string): string;
  /** a local file holding a stored blob on any store (a remote store fetches it into its local cache first);
   *  what the engine serves with Range and conditionals */
  localFile(sha256: string): Promise<string>;
  /** every blob this instance keeps beyond its cache entries (replaces the previous set) */
  hold(sha256s: Iterable<string>): void;
}

/** what an instance controller is built with: the instance's hook context and its blobs */
export interface ControllerContext extends HookContext { blobs: InstanceBlobs }

/** a background task of a controller (task id `<instance>:<type>`) */
export interface ControllerTask { type: string; intervalMs: number; run(signal: AbortSignal): Promise<TaskResult> }

/**
 * Per-instance state of a mode, owned by the engine: one controller per configured instance, built at
 * start, set up before the listeners serve, its tasks scheduled, its status on the home page, stopped at
 * shutdown. Hooks of the instance reach it with `controllerOf(ctx)` (engine/controller.ts).
 */
export interface InstanceController {
  /** restore state before the listeners serve (no upstream contact expected) */
  setup?(): Promise<void>;
  stop?(): Promise<void>;
  /** mode details for the home page and /-/status/summary */
  status?(): Promise<Record<string, unknown>>;
  tasks?: ControllerTask[];
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * How a mode's clients present an access token (`instances[].access.tokens`, else `server.access.tokens`) and
 * are asked for one. Without it: a Bearer token or a Basic password, and a Basic challenge.
 */
export interface ClientAuth {
  /** the token an Authorization value presents (clients that send it without a scheme); undefined = none */
  token?: (authorization: string) => string | undefined;
  /** the instance demands a token even without configured tokens (then any non-empty one passes) */
  required?: (config: ModeConfig) => boolean;
  /** mount-relative paths answered without a token when no tokens are configured */
  open?: (path: string) => boolean;
  /** the 401's headers (the body is the mode's errorBody) */
  challenge?: (publicBase: string) => Record<string, string>;
}

export interface ModeDefinition {
  name: string;
  contract: 1;
  /** JSON Schema of the mode's own keys; its defaults are filled into the block before anything reads it */
  schema: JSONSchema;
  /** the validated block (defaults filled) → the typed values hooks read as `ctx.settings`; called once per instance */
  settings?: (block: ModeConfig) => unknown;
  /** keys this mode no longer accepts → what to do instead (reported as "removed key" rather than "unknown key") */
  removedKeys?: Record<string, string>;
  mount: 'route' | 'bind' | 'either';
  /** on a dedicated `bind` listener the instance answers under this path, as if mounted there (OCI: '/v2') */
  basePath?: string;
  optOut?: ('transport' | 'expire_after' | 'kind_keys')[];
  /** literal "." path segments: rejected with 400 (default) or dropped (clients such as apt send `<dir>/./<file>`) */
  dotSegments?: 'reject' | 'drop';
  kinds: Record<string, KindSpec>;
  /** legacy key -> derived key, e.g. default_policy -> file_policy */
  aliases?: Record<string, string>;
  rules?: RuleSpec;
  routes: RouteSpec[];
  /** config key naming the upstream base URLs (string or string[]) */
  upstreams: (config: ModeConfig) => string[];
  /** further origins the config names as fetch targets (SSRF guard), e.g. an explicit tarball host list */
  origins?: (config: ModeConfig) => string[];
  /** request headers copied upstream (and keyed unless the mode says otherwise) */
  passHeaders?: (config: ModeConfig) => { names: string[]; keyed: boolean };
  /** static credentials for the first upstream's origin, sent with every request (`credentialsFromAuth` reads
   *  the engine's `auth` block); challenge-driven auth is `credentialsFor` and `hooks.upstreamAuth` */
  credentials?: (config: ModeConfig) => StaticCredentials | null;
  /** credentials per upstream origin (several upstreams with their own auth); with it, or with hooks.upstreamAuth,
   *  Basic credentials are sent only once an origin asked for them, bearer tokens always */
  credentialsFor?: (config: ModeConfig, origin: string) => StaticCredentials | null;
  hooks?: ModeHooks;
  /** how clients present access tokens: see ClientAuth */
  clientAuth?: ClientAuth;
  tasks?: TaskSpec[];
  /** the per-instance controller (state, background work, status), built by the engine for each instance */
  instance?: (ctx: ControllerContext) => InstanceController;
  /** cross-field checks the schema cannot say (run after the block validated); path is relative to the block */
  checkConfig?: (config: ModeConfig) => { path?: (string | number)[]; message: string }[];
  /** embedded default config: instances derived from this machine's client settings (never hosts written in the project) */
  discover?: () => Promise<{ name: string; block: Record<string, unknown> }[]>;
}

/**
 * A mode's settings parser with its typed reader: `settings: s.parse` in the definition, `s.of(ctx)` in hooks.
 * The engine calls `parse` once per instance and hands the result to every hook as `ctx.settings`.
 */
export interface ModeSettings<S> { parse: (block: ModeConfig) => S; of: (ctx: Pick<HookContext, 'settings'>) => S }
export function modeSettings<S>(parse: (block: ModeConfig) => S): ModeSettings<S> {
  return { parse, of: (ctx) => ctx.settings as S };
}

const MODE_NAME = /^[a-z][a-z0-9_]*$/;

export function defineMode<T extends ModeDefinition>(def: T): Readonly<T> {
  if (def.contract !== 1) throw new Error(`mode ${def.name}: unsupported contract ${String(def.contract)}`);
  if (!MODE_NAME.test(def.name)) throw new Error(`mode name "${def.name}" must match ${MODE_NAME}`);
  for (const [i, r] of def.routes.entries()) {
    if (r.kind && !def.kinds[r.kind]) throw new Error(`mode ${def.name}: route ${i} names unknown kind "${r.kind}"`);
    if (!r.kind && !r.respond && !r.status) throw new Error(`mode ${def.name}: route ${i} needs kind, respond or status`);
    if (r.owner && !r.respond) throw new Error(`mode ${def.name}: route ${i} names an owner key without a respond hook`);
  }
  return Object.freeze(def);
}

/** Config keys derived for each kind (unless keys:false / optOut). */
export function derivedKindKeys(def: ModeDefinition): Map<string, { kind: string; field: 'policy' | 'fresh_for' | 'busy_policy' | 'expire_after' }> {
  const out = new Map<string, { kind: string; field: 'policy' | 'fresh_for' | 'busy_policy' | 'expire_after' }>();
  if (def.optOut?.includes('kind_keys')) return out;
  for (const [kind, spec] of Object.entries(def.kinds)) {
    if (spec.keys === false || (spec.keys && 'sharedWith' in spec.keys)) continue;
    for (const field of ['policy', 'fresh_for', 'busy_policy', 'expire_after'] as const) out.set(`${kind}_${field}`, { kind, field });
  }
  return out;
}

/** a kind written with the flat fields of the first DSL (plugins): each hook under its stage's name today */
interface FlatKind extends KindSpec {
  vary?: CacheStage['vary']; alternates?: Alternates; admit?: CacheStage['admit']; reverify?: boolean;
  revalidateWith?: UpstreamStage['revalidateWith']; /** now `upstream.failoverOnStatus: [404]` */ failoverOn404?: boolean; redirects?: UpstreamStage['redirects'];
  admitHead?: BodyStages['admitHead']; verify?: VerifyHook; index?: IndexHook; storeHeaders?: string[]; rewrite?: RewriteHook;
  maxRewriteBody?: BodyStages['maxBytes'];
  checkBody?: (body: Buffer, headers: Record<string, string>) => string | null;
  bindTo?: BindStage['to'];
}

const FLAT_CHECK_MAX = 64 * 1024 * 1024;

/** the same mode with every kind in the grouped shape (kinds written with the first DSL's flat fields are moved) */
export function withGroupedKinds<T extends ModeDefinition>(def: T): T {
  const flat = (k: KindSpec): k is FlatKind => ['vary', 'alternates', 'admit', 'reverify', 'revalidateWith', 'failoverOn404', 'redirects', 'admitHead', 'verify', 'index', 'storeHeaders', 'rewrite', 'maxRewriteBody', 'checkBody', 'bindTo'].some((f) => f in k);
  if (!Object.values(def.kinds).some(flat)) return def;
  const pick = <O extends object>(o: O): O | undefined => {
    const kept = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as O;
    return Object.keys(kept).length ? kept : undefined;
  };
  const kinds: Record<string, KindSpec> = {};
  for (const [name, k] of Object.entries(def.kinds)) {
    if (!flat(k)) { kinds[name] = k; continue; }
    const { vary, alternates, admit, reverify, revalidateWith, failoverOn404, redirects, admitHead, verify, index, storeHeaders, rewrite, maxRewriteBody, checkBody, bindTo, ...rest } = k;
    const check: CheckHook | undefined = checkBody && (async ({ open, size, headers }) => {
      if (size > FLAT_CHECK_MAX) return `body of ${size} bytes too large to check`;
      const parts: Buffer[] = [];
      for await (const c of open() as AsyncIterable<Buffer>) parts.push(c);
      return checkBody(Buffer.concat(parts), { ...headers });
    });
    kinds[name] = {
      ...rest,
      cache: { ...pick({ vary, alternates, admit, reverify }), ...rest.cache },
      upstream: { ...pick({ revalidateWith, failoverOnStatus: failoverOn404 ? [404 as const] : undefined, redirects }), ...rest.upstream },
      body: { ...pick({ admitHead, verify, check, index, storeHeaders, rewrite, maxBytes: maxRewriteBody }), ...rest.body },
      ...(bindTo || rest.bind ? { bind: rest.bind ?? { to: bindTo! } } : {}),
    };
  }
  return { ...def, kinds };
}
