// Loads, expands, validates and resolves a configuration (engine spec §1). Every problem names the
// file, the line:column of its YAML node and its path, e.g.
// `cache-proxy.yaml:14:26: instances[2].npm.metadata_fresh_for: must be a duration (30s, 5m) or "forever", got "5 mins"`.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  parseAllDocuments, LineCounter, isMap, isSeq, isScalar, stringify,
  type Document, type Node as YNode, type Pair,
} from 'yaml';
import type { ErrorObject } from 'ajv';
import type { ModeDefinition } from '../mode.js';
import type { EffectiveConfig, InstanceConfig, AccessConfig } from './types.js';
import { readSchema } from '../paths.js';
import { sharedAjv, modeValidator, FORMAT_HINTS, formatIssue as formatReason, IGNORED_PASS_HEADER } from './schema.js';
import {
  parseDuration, parseSize, parseHostPort, legacyFreshness, legacyExpiration, cleanMount, isLoopbackHost, bindsOverlap,
} from './values.js';

export interface Issue { file?: string; line?: number; col?: number; path: string; message: string }
export interface LoadResult { config?: EffectiveConfig; errors: Issue[]; warnings: Issue[] }
export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  modes: readonly ModeDefinition[];
  /** only validate the top level and return `{plugins}` (used to learn the plugins before the instances are checked) */
  pluginsOnly?: boolean;
}

type S = Record<string, unknown>;
type Path = (string | number)[];
/** `instances[2].npm.fresh_for` */
export const showPath = (p: Path): string => p.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');

/** removed keys and what replaces them: object path (indices dropped, mode blocks by mode name) → key → advice */
const REMOVED: Record<string, Record<string, string>> = {
  'storage.cleanup': { interval: 'expiry cleanup is scheduled by the engine (one expire_cleanup task per instance); delete the key' },
  ...Object.fromEntries(['deb', 'rpm', 'apk', 'pacman'].map((m) => [m, Object.fromEntries(['metadata_policy', 'metadata_fresh_for', 'metadata_busy_policy', 'metadata_expire_after'].map((k) => [k, 'metadata is governed by generations, not by a policy; delete the key']))])),
  pypi: Object.fromEntries(['policy', 'fresh_for', 'busy_policy', 'expire_after'].map((f) => [`artifact_${f}`, `use file_${f}`])),
};
const BOOL_WORDS: Record<string, boolean> = { yes: true, no: false, on: true, off: false, Yes: true, No: false, On: true, Off: false, YES: true, NO: false, ON: true, OFF: false };
const INSTANCE_KEYS = ['name', 'enabled', 'access', 'max_size', 'negative_ttl', 'offline'];
const DURATION_FORMATS = new Set(['duration', 'freshness', 'expiration']);

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length]![b.length]!;
}
/** ` (did you mean "x"?)` for the closest option, or '' */
export function suggest(word: string, options: Iterable<string>): string {
  let best = '';
  let score = Infinity;
  for (const o of options) { const s = editDistance(word.toLowerCase(), o.toLowerCase()); if (s < score) { score = s; best = o; } }
  return best && score <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

const describe = (v: unknown): string => {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
};
const TYPE_WORDS: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', null: 'null' };
const isObj = (v: unknown): v is S => !!v && typeof v === 'object' && !Array.isArray(v);

export async function loadConfigFile(file: string, o: Omit<LoadOptions, 'file'>): Promise<LoadResult> {
  let text: string;
  try { text = await readFile(file, 'utf8'); } catch (e) {
    return { errors: [{ file: basename(file), path: '', message: `cannot read the configuration file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }], warnings: [] };
  }
  return loadConfigText(text, { ...o, file });
}

/** `file:line:col: path: message` */
export function formatIssue(i: Issue): string {
  const where = [i.file ?? 'config', i.line, i.col].filter((x) => x !== undefined).join(':');
  return `${where}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

const byPosition = (a: Issue, b: Issue) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0) || a.path.localeCompare(b.path) || a.message.localeCompare(b.message);
function finish(errors: Issue[], warnings: Issue[], config?: EffectiveConfig): LoadResult {
  const uniq = (l: Issue[]) => l.filter((x, i) => l.findIndex((y) => formatIssue(y) === formatIssue(x)) === i).sort(byPosition);
  const e = uniq(errors);
  return { config: e.length ? undefined : config, errors: e, warnings: uniq(warnings) };
}

export function loadConfigText(text: string, o: LoadOptions): LoadResult {
  const file = o.file ? basename(o.file) : undefined;
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const lc = new LineCounter();
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const p = lc.linePos(offset);
    return { line: p.line, col: p.col };
  };

  // ---- YAML: one document, unique keys, merge keys allowed
  const docs = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true, merge: true, prettyErrors: false });
  const list = Array.from(docs as Iterable<Document.Parsed>);
  if (list.length > 1) {
    errors.push({ file, ...at(list[1]!.range[0]), path: '', message: `only one YAML document is allowed, found ${list.length}` });
    return finish(errors, warnings);
  }
  const doc = list[0];
  if (doc) {
    for (const e of doc.errors) {
      const msg = e.code === 'DUPLICATE_KEY' ? duplicateKeyMessage(doc, e.pos[0], text) : e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      errors.push({ file, ...at(e.pos[0]), path: showPath(pathAtOffset(doc, e.pos[0])), message: msg });
    }
    for (const w of doc.warnings) warnings.push({ file, ...at(w.pos[0]), path: showPath(pathAtOffset(doc, w.pos[0])), message: w.message.split('\n')[0]! });
  }
  if (errors.length) return finish(errors, warnings);
  let data: unknown;
  // a deep copy: YAML aliases must not share objects (defaults and secret expansion change values in place)
  try { data = copy(doc ? doc.toJS({ maxAliasCount: 1000 }) : {}); } catch (e) {
    return finish([{ file, line: 1, col: 1, path: '', message: (e as Error).message }], warnings);
  }
  if (data === null || data === undefined) data = {};
  if (!isObj(data)) return finish([{ file, ...at(doc?.contents?.range?.[0]), path: '', message: `the document must be a mapping, got ${describe(data)}` }], warnings);
  const root = data;

  // ---- positions of paths
  const nodeAt = (p: Path): YNode | undefined => {
    try { return doc?.getIn(p, true) as YNode | undefined; } catch { return undefined; }
  };
  const keyNodeAt = (p: Path, key: string): YNode | undefined => {
    const parent = nodeAt(p);
    if (!isMap(parent)) return undefined;
    return (parent.items as Pair<YNode, YNode>[]).find((it) => isScalar(it.key) && String(it.key.value) === key)?.key as YNode | undefined;
  };
  const issue = (to: Issue[], p: Path, message: string, keyOf?: string) => {
    let node = keyOf !== undefined ? keyNodeAt(p, keyOf) : undefined;
    node ??= nodeAt(p);
    let offset = node?.range?.[0];
    for (let q = p.slice(); offset === undefined && q.length; q.pop()) offset = nodeAt(q.slice(0, -1))?.range?.[0];
    to.push({ file, ...at(offset ?? doc?.contents?.range?.[0]), path: showPath(keyOf !== undefined ? [...p, keyOf] : p), message });
  };

  const ajv = sharedAjv();
  const topSchema = (ajv.getSchema('urn:cache-proxy:config')?.schema as S | undefined) ?? readSchema('config');
  const validateTop = ajv.getSchema('urn:cache-proxy:config') ?? ajv.compile(topSchema);

  // ---- split the instances: engine keys are validated with the top level, mode blocks with their mode's schema
  const modesByName = new Map(o.modes.map((d) => [d.name, d]));
  const rawInstances = Array.isArray(root.instances) ? (root.instances as unknown[]) : undefined;
  const top: S = { ...root };
  if (rawInstances) top.instances = rawInstances.map((inst) => (isObj(inst) ? Object.fromEntries(Object.entries(inst).filter(([k]) => INSTANCE_KEYS.includes(k))) : inst));

  // ---- normalise before validation: empty = unset, yes/no booleans, secrets, numeric durations, legacy spellings
  const env = o.env ?? process.env;
  const secrets: string[] = [];
  const normalise = makeNormaliser({ env, secrets, ajvSchema: (id) => ajv.getSchema(id)?.schema as S | undefined, issue: (kind, p, m) => issue(kind === 'error' ? errors : warnings, p, m) });
  normalise(topSchema, { top }, 'top', [], topSchema);

  const report = (errs: ErrorObject[] | null | undefined, base: Path, removedScope?: string) => reportAjv(errs ?? [], base, removedScope, (p, m, k) => issue(errors, p, m, k));
  if (!validateTop(top)) report(validateTop.errors, []);
  const topOk = errors.length === 0;
  if (o.pluginsOnly) return finish(errors, warnings, topOk ? ({ plugins: (top.plugins as string[]) ?? [] } as unknown as EffectiveConfig) : undefined);

  // ---- instances
  const server = (isObj(top.server) ? top.server : {}) as S;
  const metricsPath = isObj(top.metrics) && typeof top.metrics.path === 'string' ? top.metrics.path : '/metrics';
  const serverBind = typeof server.bind === 'string' ? server.bind : '127.0.0.1:18080';
  const serverTokens = (isObj(server.access) ? (server.access.tokens as string[] | undefined) : undefined) ?? [];
  const instances: InstanceConfig[] = [];
  const names = new Map<string, number>();
  const mounts = new Map<string, string>();
  const binds: { bind: string; name: string }[] = [];
  (rawInstances ?? []).forEach((inst, i) => {
    if (!isObj(inst)) return; // the schema reports the type
    const engineKeys = (top.instances as S[])[i]!;
    const name = typeof engineKeys.name === 'string' ? engineKeys.name : `#${i}`;
    const unknown = Object.keys(inst).filter((k) => !INSTANCE_KEYS.includes(k) && !modesByName.has(k));
    for (const k of unknown) issue(errors, ['instances', i], `unknown key "${k}"${suggest(k, [...INSTANCE_KEYS, ...modesByName.keys()])}: neither an instance key nor a mode (${[...modesByName.keys()].join(', ')})`, k);
    const modeKeys = Object.keys(inst).filter((k) => modesByName.has(k));
    if (modeKeys.length > 1) { issue(errors, ['instances', i], `exactly one mode key is allowed, found ${modeKeys.join(', ')}`); return; }
    if (modeKeys.length === 0) {
      if (!unknown.length) issue(errors, ['instances', i], `needs exactly one mode key (one of ${[...modesByName.keys()].join(', ')})`);
      return;
    }
    if (typeof engineKeys.name === 'string') {
      if (names.has(name)) issue(errors, ['instances', i, 'name'], `duplicate instance name "${name}" (also instances[${names.get(name)}])`);
      else names.set(name, i);
    }
    const modeName = modeKeys[0]!;
    const def = modesByName.get(modeName)!;
    const base: Path = ['instances', i, modeName];
    const rawBlock = inst[modeName] ?? {};
    if (!isObj(rawBlock)) { issue(errors, base, `must be a mapping (the ${modeName} mode block), got ${describe(rawBlock)}`); return; }
    const block: S = rawBlock;
    const validate = modeValidator(ajv, def);
    const blockSchema = validate.schema as S;
    const holder = { block };
    normalise(blockSchema, holder, 'block', base, blockSchema);
    const errsBefore = errors.length;
    if (!validate(block)) report(validate.errors, base, modeName);
    const blockOk = errors.length === errsBefore;

    // a kind key and its legacy alias both set
    for (const [alias, target] of Object.entries(def.aliases ?? {})) {
      if (block[alias] !== undefined && block[target] !== undefined) issue(errors, base, `"${alias}" and "${target}" are both set; ${alias} is the legacy name of ${target}: keep one`, target);
    }
    // pass_headers the engine owns: warned and dropped
    if (Array.isArray(block.pass_headers)) {
      const kept: unknown[] = [];
      block.pass_headers.forEach((h: unknown, j) => {
        if (typeof h === 'string' && IGNORED_PASS_HEADER.test(h)) issue(warnings, [...base, 'pass_headers', j], `"${h}" is never forwarded (the engine owns it); ignored`);
        else kept.push(h);
      });
      block.pass_headers = kept;
    }
    // mount / bind
    const route = isObj(block.route) && typeof block.route.path === 'string' ? block.route.path : undefined;
    const bind = typeof block.bind === 'string' ? block.bind : undefined;
    if (def.mount === 'either' && blockOk) {
      if (route !== undefined && bind !== undefined) issue(errors, base, 'set either route.path or bind, not both', 'bind');
      if (route === undefined && bind === undefined) issue(errors, base, 'needs route.path (a mount on the main listener) or bind (a listener of its own)');
    }
    if (route !== undefined && blockOk) {
      const m = cleanMount(route);
      if (m === cleanMount(metricsPath)) issue(errors, [...base, 'route', 'path'], `mount ${route} is the metrics path (metrics.path)`);
      else if (mounts.has(m)) issue(errors, [...base, 'route', 'path'], `mount ${route} is already used by instance "${mounts.get(m)}"`);
      else mounts.set(m, name);
    }
    const access = engineKeys.access as AccessConfig | undefined;
    if (bind !== undefined && blockOk) {
      const clash = binds.find((b) => bindsOverlap(b.bind, bind));
      if (bindsOverlap(serverBind, bind)) issue(errors, [...base, 'bind'], `bind ${bind} is the main listener (server.bind ${serverBind})`);
      else if (clash) issue(errors, [...base, 'bind'], `bind ${bind} is already used by instance "${clash.name}"`);
      binds.push({ bind, name });
      const host = parseHostPort(bind).host;
      const tokens = access?.tokens ?? serverTokens;
      if (!isLoopbackHost(host) && !tokens.length) issue(warnings, [...base, 'bind'], `listens on ${host || 'every address'} without access tokens (set access.tokens or server.access.tokens)`);
    }
    if (inst.enabled === undefined || inst.enabled === null || inst.enabled === '') issue(warnings, ['instances', i], `instance "${name}" has no "enabled: true": it is validated but not served`);
    instances.push({
      name, enabled: engineKeys.enabled === true, mode: modeName, block, path: showPath(base),
      access,
      max_size: safe(() => parseSize(engineKeys.max_size as string)),
      negative_ttl: safe(() => parseDuration(engineKeys.negative_ttl as string)),
      offline: typeof engineKeys.offline === 'boolean' ? engineKeys.offline : undefined,
    });
  });

  // ---- top-level cross-checks and warnings
  if (topOk) {
    const st = top.storage as S;
    if (st.orphan_policy !== 'keep' && st.orphan_policy !== 'auto') issue(warnings, ['storage', 'orphan_policy'], `unknown orphan_policy ${JSON.stringify(st.orphan_policy)}: treated as "keep" (use keep or auto)`);
    const status = server.status as S;
    if (parseDuration(status.disk_history_window as string) < parseDuration(status.disk_sample_interval as string)) {
      issue(errors, ['server', 'status', 'disk_history_window'], `must be at least server.status.disk_sample_interval (${String(status.disk_sample_interval)})`);
    }
    const host = parseHostPort(serverBind).host;
    if (!isLoopbackHost(host) && !serverTokens.length) issue(warnings, ['server', 'bind'], `listens on ${host || 'every address'} without access tokens (set server.access.tokens)`);
  }
  if (errors.length) return finish(errors, warnings);
  return finish(errors, warnings, effective(top, instances, secrets, o.file));
}

const copy = (v: unknown): unknown => (Array.isArray(v) ? v.map(copy) : isObj(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)])) : v);
const safe = <T>(f: () => T): T | undefined => { try { return f(); } catch { return undefined; } };

/** message of a YAML duplicate-key error: which key, and where it was first set */
function duplicateKeyMessage(doc: Document.Parsed, offset: number, text: string): string {
  let found: string | undefined;
  const visit = (n: unknown): void => {
    if (found !== undefined) return;
    if (isMap(n)) {
      for (const it of n.items) {
        const k = it.key as YNode | null;
        if (isScalar(k) && k.range && k.range[0] <= offset && offset < Math.max(k.range[1], k.range[0] + 1)) { found = String(k.value); return; }
        visit(it.value);
      }
    } else if (isSeq(n)) n.items.forEach(visit);
  };
  visit(doc.contents);
  if (found === undefined) found = /^[^\s:]+/.exec(text.slice(offset))?.[0] ?? '';
  return `duplicate key "${found}" (a key may appear once per mapping)`;
}

/** path of the innermost mapping key or sequence item containing `offset` */
function pathAtOffset(doc: Document.Parsed, offset: number): Path {
  const out: Path = [];
  const within = (n: YNode | null | undefined) => !!n?.range && n.range[0] <= offset && offset < Math.max(n.range[1], n.range[0] + 1);
  let n: unknown = doc.contents;
  for (let guard = 0; guard < 100; guard++) {
    if (isMap(n)) {
      const it = n.items.find((p) => within(p.key as YNode)) ?? n.items.find((p) => within(p.value as YNode));
      if (!it || !isScalar(it.key)) break;
      out.push(String(it.key.value));
      if (within(it.key as YNode)) break;
      n = it.value;
    } else if (isSeq(n)) {
      const idx = n.items.findIndex((x) => within(x as YNode));
      if (idx < 0) break;
      out.push(idx);
      n = n.items[idx];
    } else break;
  }
  return out;
}

interface NormaliserCtx {
  env: NodeJS.ProcessEnv;
  secrets: string[];
  ajvSchema: (id: string) => S | undefined;
  issue: (kind: 'error' | 'warning', p: Path, message: string) => void;
}

/**
 * Walks data along its schema before validation, changing values in place:
 * empty string / null = unset (known keys), yes/no/on/off → boolean (warning), `$NAME`/`${NAME}` expanded in
 * `x-secret` fields only (`$$` = `$`), numbers written for durations → strings, legacy freshness/expiry → warning.
 */
function makeNormaliser(ctx: NormaliserCtx) {
  const expand = (value: string, p: Path): string => value.replace(/\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, braced?: string, bare?: string) => {
    if (m === '$$') return '$';
    const name = (braced ?? bare)!;
    // on a problem the reference stays as written: the error is reported once, without follow-up errors
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) { ctx.issue('error', p, `bad environment reference "${m}" (write $NAME or \${NAME}; $$ is a literal $)`); return m; }
    const v = ctx.env[name];
    if (v === undefined) { ctx.issue('error', p, `environment variable ${name} is not set`); return m; }
    return v;
  });
  const deref = (schema: S | undefined, root: S): [S | undefined, S] => {
    for (let guard = 0; schema && typeof schema.$ref === 'string' && guard < 10; guard++) {
      const [id, frag] = (schema.$ref as string).split('#');
      if (id) { const r = ctx.ajvSchema(id); if (!r) return [undefined, root]; root = r; }
      schema = frag ? (frag.split('/').filter(Boolean).reduce<unknown>((s, k) => (s as S | undefined)?.[k], root) as S | undefined) : root;
    }
    return [schema, root];
  };
  const types = (schema: S): string[] => (Array.isArray(schema.type) ? (schema.type as string[]) : typeof schema.type === 'string' ? [schema.type] : []);
  const fits = (schema: S, v: unknown): boolean => {
    const t = types(schema);
    if ('const' in schema) return schema.const === v;
    if (!t.length) return true;
    return t.some((x) => (x === 'array' ? Array.isArray(v) : x === 'object' ? isObj(v) : x === 'integer' || x === 'number' ? typeof v === 'number' : typeof v === x));
  };
  const walk = (schemaIn: S | undefined, holder: Record<string | number, unknown>, key: string | number, p: Path, rootIn: S): void => {
    const [schema, root] = deref(schemaIn, rootIn);
    if (!schema) return;
    let v = holder[key];
    if (v === undefined) return;
    if (schema['x-secret'] === true && typeof v === 'string') {
      v = holder[key] = expand(v, p);
      if (v) ctx.secrets.push(v as string);
      return;
    }
    const t = types(schema);
    if (typeof v === 'string' && t.includes('boolean') && !t.includes('string') && v in BOOL_WORDS) {
      holder[key] = BOOL_WORDS[v];
      ctx.issue('warning', p, `"${v}" read as ${String(BOOL_WORDS[v])}; write true or false`);
      return;
    }
    const fmt = schema.format as string | undefined;
    if (fmt && DURATION_FORMATS.has(fmt)) {
      if (typeof v === 'number') v = holder[key] = String(v);
      const legacy = fmt === 'freshness' ? legacyFreshness(v) : fmt === 'expiration' ? legacyExpiration(v) : null;
      if (legacy) ctx.issue('warning', p, legacy);
      return;
    }
    for (const alt of ['anyOf', 'oneOf'] as const) {
      const branch = (schema[alt] as S[] | undefined)?.map((b) => deref(b, root)[0]).find((b) => b && fits(b, v));
      if (branch) walk(branch, holder, key, p, root);
    }
    if (isObj(v)) {
      const props = (schema.properties ?? {}) as Record<string, S>;
      const patterns = Object.entries((schema.patternProperties ?? {}) as Record<string, S>);
      for (const k of Object.keys(v)) {
        const sub = props[k] ?? patterns.find(([re]) => new RegExp(re, 'u').test(k))?.[1];
        if (!sub) continue;
        if (v[k] === '' || v[k] === null) { delete v[k]; continue; }
        walk(sub, v, k, [...p, k], root);
      }
    } else if (Array.isArray(v) && isObj(schema.items)) {
      v.forEach((_, i) => walk(schema.items as S, v as unknown[] as Record<number, unknown>, i, [...p, i], root));
    }
  };
  return (schema: S, holder: Record<string, unknown>, key: string, base: Path, root: S) => walk(schema, holder, key, base, root);
}

/** turns ajv errors into messages at paths; `removedScope`: the mode name for removed keys of a mode block */
function reportAjv(errs: ErrorObject[], base: Path, removedScope: string | undefined, say: (p: Path, message: string, keyOf?: string) => void): void {
  const toPath = (ip: string): Path => ip.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const hintOf = (e: ErrorObject) => (e.parentSchema as S | undefined)?.['x-hint'] as string | undefined;
  // anyOf / oneOf: report the deeper errors of a branch when there are some, else one message for the alternatives
  const alts = errs.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const skip = new Set<ErrorObject>();
  for (const a of alts) {
    const prefix = a.schemaPath;
    const branchErrs = errs.filter((e) => e !== a && e.schemaPath.startsWith(`${prefix}/`));
    const deeper = branchErrs.filter((e) => e.instancePath.startsWith(`${a.instancePath}/`) && e.keyword !== 'required');
    branchErrs.filter((e) => !deeper.includes(e)).forEach((e) => skip.add(e));
    if (deeper.length) skip.add(a);
  }
  for (const e of errs) {
    if (skip.has(e) || e.keyword === 'if') continue;
    const p = [...base, ...toPath(e.instancePath)];
    const v = e.data;
    const got = `, got ${describe(v)}`;
    switch (e.keyword) {
      case 'additionalProperties': {
        const extra = (e.params as { additionalProperty: string }).additionalProperty;
        const scope = removedScope !== undefined && e.instancePath === '' ? removedScope : showPath(p.filter((k) => typeof k === 'string'));
        const removed = REMOVED[scope]?.[extra];
        const known = Object.keys(((e.parentSchema as S | undefined)?.properties ?? {}) as S);
        say(p, removed ? `removed key "${extra}": ${removed}` : `unknown key "${extra}"${suggest(extra, known)}`, extra);
        break;
      }
      case 'format': {
        const fmt = (e.params as { format: string }).format;
        const why = formatReason(fmt, v);
        say(p, `${hintOf(e) ?? FORMAT_HINTS[fmt] ?? `must be a ${fmt}`}${got}${why && !why.generic ? ` (${why.reason})` : ''}`);
        break;
      }
      case 'type': {
        const want = String((e.params as { type: string }).type).split(',').map((t) => TYPE_WORDS[t] ?? t);
        say(p, `must be ${want.join(' or ')}${got}`);
        break;
      }
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        say(p, `must be one of ${allowed.map((x) => JSON.stringify(x)).join(', ')}${got}${typeof v === 'string' ? suggest(v, allowed.map(String)) : ''}`);
        break;
      }
      case 'const': say(p, `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}${got}`); break;
      case 'required': say(p, `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`); break;
      case 'pattern': say(p, `${hintOf(e) ?? `must match ${(e.params as { pattern: string }).pattern}`}${got}`); break;
      case 'not': say(p, `${hintOf(e) ?? 'is not allowed'}${got}`); break;
      case 'anyOf': case 'oneOf': say(p, hintOf(e) ? `${hintOf(e)}${e.instancePath === '' && base.length ? '' : got}` : `does not match any allowed form${got}`); break;
      case 'minItems': { const n = (e.params as { limit: number }).limit; say(p, `must have at least ${n} item${n === 1 ? '' : 's'}`); break; }
      case 'maxItems': say(p, `must have at most ${(e.params as { limit: number }).limit} items`); break;
      case 'minLength': say(p, (e.params as { limit: number }).limit === 1 ? 'must not be empty' : `must be at least ${(e.params as { limit: number }).limit} characters`); break;
      case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
        say(p, `must be ${(e.params as { comparison: string }).comparison} ${(e.params as { limit: number }).limit}${got}`);
        break;
      default: say(p, `${e.message ?? 'is invalid'}${got}`);
    }
  }
}

function effective(d: S, instances: InstanceConfig[], secrets: string[], file?: string): EffectiveConfig {
  const s = d.server as S & { status: S; limits: S };
  const st = d.storage as S & { gc: S; cleanup: S; download: S };
  const dl = st.download;
  const L = s.limits;
  const dur = (v: unknown) => parseDuration(v as string);
  const size = (v: unknown) => (v === undefined ? Infinity : parseSize(v as string | number));
  const int = (v: unknown) => v as number;
  const pos = (v: unknown, def: number) => ((v as number) > 0 ? (v as number) : def);
  const metrics = d.metrics as S;
  const log = d.log as S;
  return {
    file,
    server: {
      bind: s.bind as string,
      backend: s.backend as string,
      public_url: typeof s.public_url === 'string' ? s.public_url.replace(/\/+$/, '') : undefined,
      trust_forwarded: s.trust_forwarded as boolean,
      trusted_proxies: s.trusted_proxies as string[],
      access: s.access as AccessConfig | undefined,
      status: {
        disk_sample_interval: dur(s.status.disk_sample_interval), disk_history_window: dur(s.status.disk_history_window),
        event_limit: int(s.status.event_limit), token: s.status.token as string | undefined,
      },
      limits: {
        header_timeout: dur(L.header_timeout), request_timeout: dur(L.request_timeout), keep_alive_timeout: dur(L.keep_alive_timeout),
        client_idle_timeout: dur(L.client_idle_timeout), max_url_bytes: size(L.max_url_bytes), max_header_bytes: size(L.max_header_bytes),
        max_headers: int(L.max_headers), max_connections: int(L.max_connections), shutdown_timeout: dur(L.shutdown_timeout),
      },
    },
    metrics: { path: metrics.path as string, token: metrics.token as string | undefined },
    storage: {
      gc: { blob: dur(st.gc.blob) },
      cleanup: { dry_run: st.cleanup.dry_run as boolean, batch_size: pos(st.cleanup.batch_size, 500) },
      orphan_policy: st.orphan_policy === 'auto' ? 'auto' : 'keep',
      download: {
        max_active: pos(dl.max_active, 256), max_active_per_instance: pos(dl.max_active_per_instance, 64), max_active_per_host: pos(dl.max_active_per_host, 32),
        request_interval_per_host: dur(dl.request_interval_per_host), queue_wait: dur(dl.queue_wait), max_queue: pos(dl.max_queue, 1024),
        detached_fill_budget: size(dl.detached_fill_budget), max_cooldown: dur(dl.max_cooldown),
      },
      max_size: size(st.max_size), min_free: size(st.min_free), max_object_size: size(st.max_object_size),
      negative_ttl: dur(st.negative_ttl), offline: st.offline as boolean,
    },
    scheduler: { max_concurrent: int((d.scheduler as S).max_concurrent) },
    log: { level: log.level as EffectiveConfig['log']['level'], format: log.format as EffectiveConfig['log']['format'], access: log.access as boolean },
    plugins: (d.plugins as string[]) ?? [],
    instances,
    secrets: [...new Set(secrets)],
  };
}

/** the effective configuration as YAML: secrets and URL passwords replaced by `***`, unlimited sizes as `unlimited` */
export function printEffective(c: EffectiveConfig): string {
  const secrets = new Set(c.secrets);
  const redact = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (secrets.has(v)) return '***';
      let out = v;
      for (const s of secrets) if (s.length >= 4 && out.includes(s)) out = out.split(s).join('***');
      return out.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*:)[^/@\s]+@/i, '$1***@');
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return 'unlimited';
    if (Array.isArray(v)) return v.map(redact);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k, x]) => k !== 'secrets' && x !== undefined).map(([k, x]) => [k, redact(x)]));
    return v;
  };
  const { instances, ...rest } = c;
  const inst = instances.map((i) => {
    const out: S = { name: i.name, enabled: i.enabled };
    if (i.access) out.access = redact(i.access);
    if (i.max_size !== undefined) out.max_size = redact(i.max_size);
    if (i.negative_ttl !== undefined) out.negative_ttl = i.negative_ttl;
    if (i.offline !== undefined) out.offline = i.offline;
    out[i.mode] = redact(i.block);
    return out;
  });
  return stringify({ ...(redact(rest) as object), instances: inst });
}

