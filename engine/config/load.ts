// Loads, expands, validates and resolves a configuration. Every problem names the
// file, the line:column of its YAML node and its path, e.g.
// `cache-proxy.yaml:14:26: instances[2].npm.metadata_fresh_for: must be a duration (30s, 5m) or "forever", got "5 mins"`.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseAllDocuments, LineCounter, isMap, isSeq, isScalar, isNode, isAlias, stringify, type Document, type Node as YNode, type Pair } from 'yaml';
import type { ErrorObject } from 'ajv';
import type { ModeDefinition } from '../mode.js';
import type { EffectiveConfig, InstanceConfig, AccessConfig } from './types.js';
import { readSchema } from '../paths.js';
import { sharedAjv, modeValidator, FORMAT_HINTS } from './schema.js';
import { isS3Backend, parseS3Backend } from '../cache/s3-location.js';
import { parseDuration, parseSize, parseHostPort, isLegacyFreshness, isLegacyExpiration, formatDuration, formatSize } from './values.js';
import { checkCluster, clusterSettings } from '../cluster/config.js';

export interface Issue { file?: string; line?: number; col?: number; path: string; message: string }
export interface LoadResult { config?: EffectiveConfig; errors: Issue[]; warnings: Issue[] }
export interface LoadOptions { file?: string; env?: NodeJS.ProcessEnv; modes: readonly ModeDefinition[]; pluginsOnly?: boolean }

type Path = (string | number)[];
const show = (p: Path) => p.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');

const REMOVED: Record<string, string> = {
  'storage.cleanup.interval': 'cleanup runs hourly per instance now; remove the key (storage.cleanup.batch_size still applies)',
};
const BOOL_WORDS: Record<string, boolean> = { yes: true, no: false, on: true, off: false, Yes: true, No: false, On: true, Off: false, YES: true, NO: false, ON: true, OFF: false };
const FORBIDDEN_PASS = /^(connection|keep-alive|proxy-authenticate|proxy-authorization|te|trailers?|transfer-encoding|upgrade|host|authorization|x-forwarded-.*|x-real-ip)$/i;
const IGNORED_PASS = /^(cookie|forwarded|range|if-.*)$/i;

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}
function suggest(word: string, options: string[]): string {
  let best = '', score = Infinity;
  for (const o of options) { const s = editDistance(word, o); if (s < score) { score = s; best = o; } }
  return best && score <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

const MAX_ALIAS_COUNT = 100;

/** the innermost node whose aliases alone expand beyond the limit (the place to point at) */
function aliasBombAt(doc: Document.Parsed): YNode | undefined {
  const tooMany = (n: YNode) => { try { n.toJS(doc, { maxAliasCount: MAX_ALIAS_COUNT }); return false; } catch (e) { return e instanceof ReferenceError; } };
  let node = doc.contents as YNode | null;
  if (!node || !tooMany(node)) return undefined;
  for (;;) {
    const kids: unknown[] = isMap(node) ? (node.items as Pair<unknown, unknown>[]).map((p) => p.value) : isSeq(node) ? node.items : [];
    const next = kids.find((k): k is YNode => isNode(k) && !isAlias(k) && tooMany(k));
    if (!next) return node;
    node = next;
  }
}

const ajv = sharedAjv;

export async function loadConfigFile(file: string, o: Omit<LoadOptions, 'file'>): Promise<LoadResult> {
  let text: string;
  try { text = await readFile(file, 'utf8'); } catch (e) {
    return { errors: [{ file: basename(file), path: '', message: `cannot read the configuration file: ${(e as NodeJS.ErrnoException).code ?? 'error'}` }], warnings: [] };
  }
  return loadConfigText(text, { ...o, file });
}

export function formatIssue(i: Issue): string {
  const where = [i.file ?? 'config', i.line, i.col].filter((x) => x !== undefined).join(':');
  return `${where}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

export function loadConfigText(text: string, o: LoadOptions): LoadResult {
  const file = o.file ? basename(o.file) : undefined;
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true, merge: true, prettyErrors: false });
  const at = (offset: number | undefined) => { if (offset === undefined) return {}; const p = lc.linePos(offset); return { line: p.line, col: p.col }; };
  if (!Array.isArray(docs)) return { errors: [{ file, path: '', message: 'not a YAML document' }], warnings };
  if (docs.length > 1) { errors.push({ file, ...at(docs[1]!.range[0]), path: '', message: 'only one YAML document is allowed' }); return { errors, warnings }; }
  const doc = (docs[0] ?? null) as Document.Parsed | null;
  if (doc) for (const e of doc.errors) errors.push({ file, ...at(e.pos[0]), path: '', message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') });
  if (errors.length) return { errors, warnings };
  let data: Record<string, unknown>;
  try {
    data = ((doc?.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown) ?? {}) as Record<string, unknown>;
  } catch (e) {
    if (!(e instanceof ReferenceError) || !doc) throw e;
    return { errors: [{ file, ...at(aliasBombAt(doc)?.range?.[0] ?? 0), path: '', message: `aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT} alias uses): refused as a resource exhaustion attack` }], warnings };
  }
  if (typeof data !== 'object' || Array.isArray(data)) return { errors: [{ file, line: 1, col: 1, path: '', message: 'the document must be a mapping' }], warnings };

  const nodeAt = (p: Path): YNode | undefined => (doc?.getIn(p, true) as YNode | undefined);
  const keyNodeAt = (p: Path, key: string): YNode | undefined => {
    const parent = nodeAt(p);
    if (isMap(parent)) return (parent.items as Pair<YNode, YNode>[]).find((it) => isScalar(it.key) && String(it.key.value) === key)?.key as YNode | undefined;
    return undefined;
  };
  const issue = (list: Issue[], p: Path, message: string, keyOf?: string) => {
    const node = keyOf !== undefined ? keyNodeAt(p, keyOf) : nodeAt(p);
    const path = keyOf !== undefined ? show([...p, keyOf]) : show(p);
    let offset = node?.range?.[0];
    if (offset === undefined) for (let q = p.slice(); q.length && offset === undefined; q.pop()) offset = nodeAt(q)?.range?.[0];
    list.push({ file, ...at(offset), path, message });
  };

  // empty string = unset; yes/no/on/off noted where a boolean is expected (fixed after validation)
  const dropEmpty = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(dropEmpty);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { if (x === '' || x === null) delete (v as Record<string, unknown>)[k]; else dropEmpty(x); }
  };
  dropEmpty(data);

  // removed keys
  const storage = data.storage as Record<string, unknown> | undefined;
  if ((storage?.cleanup as Record<string, unknown> | undefined)?.interval !== undefined) {
    issue(errors, ['storage', 'cleanup'], `removed key: ${REMOVED['storage.cleanup.interval']}`, 'interval');
    delete (storage!.cleanup as Record<string, unknown>).interval;
  }

  // secrets: $NAME / ${NAME} expanded in x-secret fields only
  const env = o.env ?? process.env;
  const secrets: string[] = [];
  const expand = (value: string, p: Path): string => value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, a?: string, b?: string) => {
    if (m === '$$') return '$';
    const name = (a ?? b)!;
    const v = env[name];
    if (v === undefined) { issue(errors, p, `environment variable ${name} is not set`); return ''; }
    return v;
  });
  const walkSecrets = (schema: Record<string, unknown> | undefined, v: unknown, p: Path, root: Record<string, unknown>): void => {
    if (!schema || v === undefined) return;
    const ref = schema.$ref as string | undefined;
    if (ref) {
      const [id, frag] = ref.split('#');
      const base = id ? (ajv().getSchema(id)?.schema as Record<string, unknown>) : root;
      const target = frag ? frag.split('/').filter(Boolean).reduce<unknown>((s, k) => (s as Record<string, unknown>)?.[k], base) : base;
      return walkSecrets(target as Record<string, unknown>, v, p, id ? base : root);
    }
    if (schema['x-secret'] === true && typeof v === 'string') {
      const parent = p.slice(0, -1).reduce<unknown>((s, k) => (s as Record<string, unknown>)[k as string], data) as Record<string | number, unknown>;
      const out = expand(v, p);
      parent[p.at(-1)!] = out;
      if (out) secrets.push(out);
      return;
    }
    if (Array.isArray(v) && schema.items) v.forEach((x, i) => walkSecrets(schema.items as Record<string, unknown>, x, [...p, i], root));
    else if (v && typeof v === 'object' && schema.properties) for (const [k, s] of Object.entries(schema.properties as Record<string, Record<string, unknown>>)) walkSecrets(s, (v as Record<string, unknown>)[k], [...p, k], root);
  };
  const top = readSchema('config');
  walkSecrets(top, data, [], top);

  // top level (mode keys of instances are checked separately)
  const modesByName = new Map(o.modes.map((d) => [d.name, d]));
  const instancesRaw = Array.isArray(data.instances) ? (data.instances as Record<string, unknown>[]) : [];
  const modeBlocks: { i: number; key: string; block: Record<string, unknown> }[] = [];
  instancesRaw.forEach((inst, i) => {
    if (!inst || typeof inst !== 'object') return;
    for (const k of Object.keys(inst)) if (modesByName.has(k)) { modeBlocks.push({ i, key: k, block: (inst[k] ?? {}) as Record<string, unknown> }); }
  });
  const topCopy: Record<string, unknown> = { ...data, instances: instancesRaw.map((inst) => (inst && typeof inst === 'object' ? Object.fromEntries(Object.entries(inst).filter(([k]) => !modesByName.has(k))) : inst)) };
  const validateTop = ajv().getSchema('cache-proxy/config') ?? ajv().compile(top);
  /** removedAt(p): the keys the object at p no longer accepts → what to write instead */
  const reportAjv = (errs: ErrorObject[] | null | undefined, base: Path, value: (p: Path) => unknown, known: (p: Path) => string[], removedAt: (p: Path) => Record<string, string> | undefined = () => undefined) => {
    for (const e of errs ?? []) {
      const p: Path = [...base, ...e.instancePath.split('/').filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')))];
      if (e.keyword === 'additionalProperties') {
        const extra = (e.params as { additionalProperty: string }).additionalProperty;
        const removed = removedAt(p)?.[extra];
        issue(errors, p, removed ? `removed key "${extra}": ${removed}` : `unknown key "${extra}"${suggest(extra, known(p))}`, extra);
      } else if (e.keyword === 'format') {
        const fmt = (e.params as { format: string }).format;
        issue(errors, p, `${FORMAT_HINTS[fmt] ?? `must match format ${fmt}`}, got ${JSON.stringify(value(p))}`);
      } else if (e.keyword === 'type') {
        const v = value(p);
        if (e.params.type === 'boolean' && typeof v === 'string' && v in BOOL_WORDS) continue;
        issue(errors, p, `must be ${String((e.params as { type: string }).type).replace(',', ' or ')}, got ${Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'object' ? 'a mapping' : `${typeof v} ${JSON.stringify(v)}`}`);
      } else if (e.keyword === 'enum') {
        issue(errors, p, `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(value(p))}`);
      } else if (e.keyword === 'required') {
        issue(errors, p, `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`);
      } else if (e.keyword === 'if' || e.keyword === 'anyOf' && errs!.some((x) => x !== e && x.instancePath === e.instancePath)) {
        continue;
      } else {
        issue(errors, p, e.message ?? 'is invalid');
      }
    }
  };
  const get = (root: unknown) => (p: Path) => p.reduce<unknown>((s, k) => (s as Record<string | number, unknown> | undefined)?.[k], root);
  const schemaKeysAt = (schema: Record<string, unknown>) => (p: Path): string[] => {
    let s: Record<string, unknown> | undefined = schema;
    for (const k of p) {
      if (!s) return [];
      if (typeof k === 'number') s = s.items as Record<string, unknown>;
      else s = (s.properties as Record<string, Record<string, unknown>> | undefined)?.[k];
      if (s?.$ref && typeof s.$ref === 'string' && s.$ref.startsWith('#/$defs/')) s = (top.$defs as Record<string, Record<string, unknown>>)[s.$ref.slice(8)];
    }
    return Object.keys((s?.properties as object) ?? {});
  };
  // booleans written yes/no/on/off: accepted with a warning
  const fixBools = (errs: ErrorObject[] | null | undefined, root: unknown, base: Path) => {
    for (const e of errs ?? []) {
      if (e.keyword !== 'type' || e.params.type !== 'boolean') continue;
      const p = e.instancePath.split('/').filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const v = get(root)(p);
      if (typeof v === 'string' && v in BOOL_WORDS) {
        const parent = get(root)(p.slice(0, -1)) as Record<string | number, unknown>;
        parent[p.at(-1)!] = BOOL_WORDS[v];
        issue(warnings, [...base, ...p], `"${v}" read as ${String(BOOL_WORDS[v])}; write true or false`);
      }
    }
  };
  // an s3:// backend gets the storage.s3 defaults even when the block is not written
  if (isS3Backend(String((topCopy.server as Record<string, unknown> | undefined)?.backend ?? ''))) {
    const st = ((topCopy.storage ??= {}) as Record<string, unknown>);
    st.s3 ??= {};
  }
  if (!validateTop(topCopy)) { fixBools(validateTop.errors, topCopy, []); }
  if (!validateTop(topCopy)) reportAjv(validateTop.errors, [], get(data), schemaKeysAt(top));
  if (o.pluginsOnly) return { config: errors.length ? undefined : ({ plugins: (topCopy.plugins as string[]) ?? [] } as EffectiveConfig), errors, warnings };

  // instances: exactly one mode key; unknown keys
  const instanceKeys = ['name', 'enabled', 'access', 'max_size', 'negative_ttl', 'offline'];
  const instances: InstanceConfig[] = [];
  const names = new Map<string, number>();
  const mounts = new Map<string, string>();
  const binds = new Map<string, string>();
  const metricsPath = ((topCopy.metrics as Record<string, unknown>)?.path as string) ?? '/metrics';
  const serverBind = ((topCopy.server as Record<string, unknown>)?.bind as string) ?? '127.0.0.1:18080';
  instancesRaw.forEach((inst, i) => {
    if (!inst || typeof inst !== 'object' || Array.isArray(inst)) return;
    const modeKeys = Object.keys(inst).filter((k) => modesByName.has(k));
    for (const k of Object.keys(inst)) if (!instanceKeys.includes(k) && !modesByName.has(k)) issue(errors, ['instances', i], `unknown key "${k}"${suggest(k, [...instanceKeys, ...modesByName.keys()])}: not an instance key or a known mode`, k);
    if (modeKeys.length !== 1) { issue(errors, ['instances', i], modeKeys.length ? `exactly one mode key is allowed, found ${modeKeys.join(', ')}` : `needs exactly one mode key (${[...modesByName.keys()].join(', ')})`); return; }
    const modeName = modeKeys[0]!;
    const def = modesByName.get(modeName)!;
    const name = String(inst.name ?? '');
    if (names.has(name)) issue(errors, ['instances', i, 'name'], `duplicate instance name "${name}" (also instances[${names.get(name)}])`);
    names.set(name, i);
    const base: Path = ['instances', i, modeName];
    const block = (typeof inst[modeName] === 'object' && inst[modeName] !== null ? inst[modeName] : {}) as Record<string, unknown>;
    const v = modeValidator(ajv(), def);
    walkSecrets(v.schema as Record<string, unknown>, block, base, v.schema as Record<string, unknown>);
    if (!v(block)) fixBools(v.errors, block, base);
    if (!v(block)) reportAjv(v.errors, base, (p) => get(data)(p), (p) => {
      const s = p.slice(base.length).reduce<Record<string, unknown> | undefined>((sch, k) => (typeof k === 'number' ? (sch?.items as Record<string, unknown>) : ((sch?.properties as Record<string, Record<string, unknown>>)?.[k])), (v.schema as Record<string, unknown>));
      return Object.keys((s?.properties as object) ?? {});
    }, (p) => (p.length === base.length ? def.removedKeys : undefined));
    if (def.checkConfig && v(block)) for (const c of def.checkConfig(block)) issue(errors, [...base, ...(c.path ?? [])], c.message);
    // alias and its kind key both set
    for (const [alias, target] of Object.entries(def.aliases ?? {})) if (block[alias] !== undefined && block[target] !== undefined) issue(errors, base, `"${alias}" and "${target}" set together: ${alias} is the legacy name of ${target}; keep one`, target);
    // legacy spellings
    for (const [k, val] of Object.entries(block)) {
      if (/fresh_for$/.test(k) && isLegacyFreshness(val)) issue(warnings, [...base, k], `"${String(val)}" is a legacy spelling of "forever"`);
      if (/expire_after$/.test(k) && isLegacyExpiration(val)) issue(warnings, [...base, k], `"${String(val)}" is a legacy spelling of "never"`);
    }
    // pass headers
    const ph = block.pass_headers;
    if (Array.isArray(ph)) {
      const kept: string[] = [];
      ph.forEach((h: unknown, j) => {
        const hs = String(h);
        if (FORBIDDEN_PASS.test(hs)) return; // reported by the schema format
        if (IGNORED_PASS.test(hs)) issue(warnings, [...base, 'pass_headers', j], `"${hs}" is never forwarded (the engine owns it); ignored`);
        else kept.push(hs);
      });
    }
    const route = (block.route as { path?: string } | undefined)?.path;
    const bind = block.bind as string | undefined;
    if (route && bind) issue(errors, base, 'set either route.path or bind, not both');
    const enabled = inst.enabled === true;
    if (inst.enabled === undefined) issue(warnings, ['instances', i], `instance "${name}" has no "enabled: true" and is validated but not served`);
    if (route) {
      if (route === metricsPath) issue(errors, [...base, 'route', 'path'], `mount ${route} is the metrics path`);
      if (mounts.has(route)) issue(errors, [...base, 'route', 'path'], `mount ${route} is already used by instance "${mounts.get(route)}"`);
      mounts.set(route, name);
    }
    if (bind) {
      if (bind === serverBind) issue(errors, [...base, 'bind'], `bind ${bind} is the main listener (server.bind)`);
      if (binds.has(bind)) issue(errors, [...base, 'bind'], `bind ${bind} is already used by instance "${binds.get(bind)}"`);
      binds.set(bind, name);
      try { const hp = parseHostPort(bind); if (hp.host !== '127.0.0.1' && hp.host !== 'localhost' && hp.host !== '::1' && !inst.access) issue(warnings, [...base, 'bind'], `listens on a non-loopback address without access tokens`); } catch { /* schema reports it */ }
    }
    const serverTokens = ((topCopy.server as Record<string, unknown> | undefined)?.access as AccessConfig | undefined)?.tokens;
    if (def.clientAuth?.required?.(block) && !(inst.access as AccessConfig | undefined)?.tokens?.length && !serverTokens?.length) {
      issue(warnings, base, 'demands a client token but no access.tokens are configured: any non-empty token is accepted');
    }
    instances.push({
      name, enabled, mode: modeName, block, path: show(base),
      access: inst.access as AccessConfig | undefined,
      max_size: inst.max_size !== undefined ? parseSize(inst.max_size as string) : undefined,
      negative_ttl: inst.negative_ttl !== undefined ? safe(() => parseDuration(String(inst.negative_ttl))) : undefined,
      offline: typeof inst.offline === 'boolean' ? inst.offline : undefined,
    });
  });

  checkS3(topCopy, errors, warnings, issue);
  const orphan = (topCopy.storage as Record<string, unknown>)?.orphan_policy;
  if (orphan !== undefined && orphan !== 'keep' && orphan !== 'auto') issue(warnings, ['storage', 'orphan_policy'], `unknown orphan_policy "${String(orphan)}": treated as "keep"`);
  try {
    const hp = parseHostPort(serverBind);
    const tokens = ((topCopy.server as Record<string, unknown>)?.access as AccessConfig | undefined)?.tokens;
    if (hp.host !== '127.0.0.1' && hp.host !== 'localhost' && hp.host !== '::1' && !tokens?.length) issue(warnings, ['server', 'bind'], `listens on a non-loopback address without access tokens`);
  } catch { /* reported by the schema */ }

  const clusterRaw = topCopy.cluster as Record<string, unknown> | undefined;
  if (clusterRaw && typeof clusterRaw === 'object') {
    const c = checkCluster(clusterRaw, serverBind);
    for (const e of c.errors) issue(errors, e.path, e.message);
    for (const w of c.warnings) issue(warnings, w.path, w.message);
  }

  if (!instances.some((i) => i.enabled)) {
    if (instancesRaw.length) issue(warnings, ['instances'], 'no instance is enabled: the proxy would serve nothing (set "enabled: true" on one)');
    else warnings.push({ file, line: 1, col: 1, path: '', message: 'no instances are configured: the proxy would serve nothing (add some under "instances:")' });
  }

  errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
  if (errors.length) return { errors, warnings };
  return { config: resolve(topCopy, instances, secrets, o.file), errors, warnings };
}

/** an s3:// backend: a valid bucket and prefix, both keys or neither; storage.s3 without one is only a warning */
function checkS3(d: Record<string, unknown>, errors: Issue[], warnings: Issue[], issue: (list: Issue[], p: Path, message: string, key?: string) => void): void {
  const backend = (d.server as Record<string, unknown> | undefined)?.backend;
  const s3 = (d.storage as Record<string, unknown> | undefined)?.s3 as Record<string, unknown> | undefined;
  if (typeof backend !== 'string') return;
  if (!isS3Backend(backend)) {
    if (s3) issue(warnings, ['storage', 's3'], 'ignored: server.backend is a directory, not s3://bucket/prefix');
    return;
  }
  const loc = parseS3Backend(backend);
  if (typeof loc === 'string') issue(errors, ['server', 'backend'], loc);
  if (s3 && (s3.access_key_id === undefined) !== (s3.secret_access_key === undefined)) {
    issue(errors, ['storage', 's3'], 'access_key_id and secret_access_key are set together (or neither, for the SDK\'s default credentials)');
  }
  if (s3 && typeof s3.local_dir === 'string' && isS3Backend(s3.local_dir)) issue(errors, ['storage', 's3', 'local_dir'], 'must be a directory on this node');
}

const safe = <T>(f: () => T): T | undefined => { try { return f(); } catch { return undefined; } };

function resolve(d: Record<string, unknown>, instances: InstanceConfig[], secrets: string[], file?: string): EffectiveConfig {
  const s = d.server as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const st = d.storage as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const dl = st.download as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const L = s.limits as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const dur = (v: unknown) => parseDuration(String(v));
  const size = (v: unknown) => (v === undefined ? Infinity : parseSize(v as string));
  // a count of 0 or less means the schema's default
  const top = readSchema('config') as Schema;
  const defaultOf = (...path: string[]) => path.reduce<Schema | undefined>((sch, k) => sch?.properties?.[k], top)?.default as number;
  const pos = (v: number, ...path: string[]) => (v > 0 ? v : defaultOf(...path));
  return {
    file,
    server: {
      bind: s.bind, backend: s.backend, public_url: s.public_url, trust_forwarded: s.trust_forwarded, trusted_proxies: s.trusted_proxies,
      access: s.access,
      status: { disk_sample_interval: dur(s.status.disk_sample_interval), disk_history_window: dur(s.status.disk_history_window), event_limit: s.status.event_limit, token: s.status.token },
      admin: { token: (s.admin as { token?: string } | undefined)?.token },
      limits: {
        header_timeout: dur(L.header_timeout), request_timeout: dur(L.request_timeout), keep_alive_timeout: dur(L.keep_alive_timeout), client_idle_timeout: dur(L.client_idle_timeout),
        max_url_bytes: size(L.max_url_bytes), max_header_bytes: size(L.max_header_bytes), max_headers: L.max_headers, max_connections: L.max_connections, shutdown_timeout: dur(L.shutdown_timeout),
      },
    },
    metrics: { path: (d.metrics as Record<string, string>).path!, token: (d.metrics as Record<string, string>).token },
    storage: {
      gc: { blob: dur(st.gc.blob) },
      cleanup: { dry_run: st.cleanup.dry_run, batch_size: pos(st.cleanup.batch_size, 'storage', 'cleanup', 'batch_size') },
      orphan_policy: st.orphan_policy === 'auto' ? 'auto' : 'keep',
      download: {
        max_active: pos(dl.max_active, ...DL, 'max_active'), max_active_per_instance: pos(dl.max_active_per_instance, ...DL, 'max_active_per_instance'), max_active_per_host: pos(dl.max_active_per_host, ...DL, 'max_active_per_host'),
        request_interval_per_host: dur(dl.request_interval_per_host), queue_wait: dur(dl.queue_wait), max_queue: pos(dl.max_queue, ...DL, 'max_queue'),
        detached_fill_budget: size(dl.detached_fill_budget), max_cooldown: dur(dl.max_cooldown),
      },
      max_size: size(st.max_size), min_free: size(st.min_free), max_object_size: size(st.max_object_size),
      negative_ttl: dur(st.negative_ttl), offline: st.offline,
      ...(st.s3 && isS3Backend(String(s.backend)) ? { s3: {
        endpoint: st.s3.endpoint, region: st.s3.region, force_path_style: st.s3.force_path_style,
        access_key_id: st.s3.access_key_id, secret_access_key: st.s3.secret_access_key,
        local_dir: st.s3.local_dir, local_cache_size: parseSize(st.s3.local_cache_size),
      } } : {}),
    },
    scheduler: { max_concurrent: (d.scheduler as Record<string, number>).max_concurrent! },
    log: d.log as EffectiveConfig['log'],
    plugins: (d.plugins as string[]) ?? [],
    instances,
    ...(d.cluster ? { cluster: clusterSettings(d.cluster as Record<string, unknown>) } : {}),
    secrets,
  };
}

/** the effective configuration as YAML, secrets replaced by *** */
/**
 * The effective configuration as YAML that validates again: secrets as ***, durations and sizes in config units
 * (the schema's formats say which), unlimited sizes left unset, instance keys beside the mode block.
 */
export function printEffective(c: EffectiveConfig): string {
  const top = readSchema('config') as Schema;
  const units = (v: unknown, schema: Schema | undefined): unknown => {
    if (typeof v === 'string') return c.secrets.includes(v) ? '***' : v;
    if (typeof v === 'number' && schema?.format === 'duration') return formatDuration(v);
    if (typeof v === 'number' && schema?.format === 'size') return formatSize(v);
    if (Array.isArray(v)) return v.map((x) => units(x, schema?.items));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        // engine-internal fields of the effective config (secrets, the file it came from) are not config keys
        if (schema?.properties && !(k in schema.properties)) continue;
        if (typeof x === 'number' && !Number.isFinite(x)) continue;
        out[k] = units(x, schema?.properties?.[k]);
      }
      return out;
    }
    return v;
  };
  const { instances, ...rest } = c;
  const instanceSchema = top.properties?.instances?.items;
  return stringify({
    ...(units(rest, top) as object),
    instances: instances.map((i) => ({
      ...(units({ name: i.name, enabled: i.enabled, access: i.access, max_size: i.max_size, negative_ttl: i.negative_ttl, offline: i.offline }, instanceSchema) as object),
      [i.mode]: units(i.block, undefined),
    })),
  });
}

interface Schema { format?: string; default?: unknown; properties?: Record<string, Schema>; items?: Schema }
const DL = ['storage', 'download'] as const;
