// JSON Schemas of mode blocks: the mode's own keys + the engine keys it gets (spec §1.4, §2.2),
// compiled by one ajv instance that knows the project's value formats; and the load checks every
// mode definition passes (spec §2.4).
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import picomatch from 'picomatch';
import type { ModeDefinition, JSONSchema } from '../mode.js';
import { derivedKindKeys } from '../mode.js';
import { readSchema } from '../paths.js';
import {
  parseDuration, parseFreshness, parseExpiration, parseSize, parseUrl, parseProxyUrl, parseHostPort, checkMount, parseCidr, ValueError,
} from './values.js';

export const POLICIES = ['bypass', 'immutable', 'revalidate'] as const;
export const BUSY = ['join', 'stale', 'bypass'] as const;

/** how a format is described in messages */
export const FORMAT_HINTS: Record<string, string> = {
  duration: 'must be a duration (30s, 5m, 1h30m)',
  freshness: 'must be a duration (30s, 5m) or "forever"',
  expiration: 'must be a duration (720h) or "never"',
  size: 'must be a size (512MiB, 10GB) or a number of bytes',
  url: 'must be an absolute http(s) URL with a host',
  proxyurl: 'must be an http, https or socks5 URL',
  hostport: 'must be host:port (host empty, localhost or an IP literal)',
  mount: 'must be a path like /npm (not /, no //, not under /-/)',
  glob: 'must be a valid glob',
  cidr: 'must be "loopback", an IP address or a CIDR',
  passheader: 'must be a header name that may be forwarded',
};

/** request headers that may never be copied upstream (spec §1.4; errors) */
export const FORBIDDEN_PASS_HEADER = /^(connection|keep-alive|proxy-authenticate|proxy-authorization|proxy-connection|te|trailers?|transfer-encoding|upgrade|host|authorization|x-forwarded-.*|x-real-ip)$/i;
/** headers the engine owns: accepted with a warning and dropped */
export const IGNORED_PASS_HEADER = /^(cookie|forwarded|range|if-.*)$/i;
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** the parser's complaint about a value of a format (`generic`: it only says "not a <format>"), or null when fine */
export function formatIssue(format: string, v: unknown): { reason: string; generic: boolean } | null {
  const s = v as string;
  const run = (f: () => unknown): { reason: string; generic: boolean } | null => {
    try { f(); return null; } catch (e) { return e instanceof ValueError ? { reason: e.reason, generic: e.generic } : { reason: (e as Error).message, generic: false }; }
  };
  const say = (reason: string | null, generic = false) => (reason === null ? null : { reason, generic });
  switch (format) {
    case 'duration': return run(() => parseDuration(s));
    case 'freshness': return run(() => parseFreshness(s));
    case 'expiration': return run(() => parseExpiration(s));
    case 'size': return run(() => parseSize(s));
    case 'url': return run(() => parseUrl(s));
    case 'proxyurl': return run(() => parseProxyUrl(s));
    case 'hostport': return run(() => parseHostPort(s));
    case 'cidr': return run(() => parseCidr(s));
    case 'mount': return say(checkMount(s));
    case 'glob': return say(globProblem(s));
    case 'passheader':
      if (!TOKEN.test(s)) return say('not a header name', true);
      if (FORBIDDEN_PASS_HEADER.test(s)) return say('never forwarded upstream: hop-by-hop headers, Host, Authorization, X-Forwarded-* and X-Real-IP are not allowed');
      return null;
    default: return null;
  }
}
/** the reason a value does not fit a format, or null */
export const formatProblem = (format: string, v: unknown): string | null => formatIssue(format, v)?.reason ?? null;

/** picomatch compile check, strict about brackets and parentheses */
export function globProblem(glob: string): string | null {
  if (typeof glob !== 'string' || glob === '') return 'must not be empty';
  try {
    picomatch.makeRe(glob, { dot: true, strictBrackets: true });
  } catch (e) {
    return (e as Error).message.split('\n')[0]!;
  }
  return null;
}

export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true, useDefaults: true, allowUnionTypes: true, verbose: true });
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-hint', schemaType: 'string' });
  for (const fmt of Object.keys(FORMAT_HINTS)) ajv.addFormat(fmt, { type: 'string', validate: (v: string) => formatProblem(fmt, v) === null });
  ajv.addSchema(readSchema('transport'));
  return ajv;
}

type S = Record<string, unknown>;
const enumOf = (values: readonly string[]) => ({ enum: [...values] });

/** allowed policies / busy values of a set of kinds (union; the engine checks each kind's `allow` when resolving) */
function allowedFor(def: ModeDefinition, kinds: string[], what: 'policy' | 'busy'): string[] {
  const all = what === 'policy' ? POLICIES : BUSY;
  const out = new Set<string>();
  for (const k of kinds) for (const v of def.kinds[k]?.allow?.[what] ?? all) out.add(v);
  return all.filter((v) => out.has(v));
}

/** root-level keywords of a mode's own schema kept in the merged block schema */
const CARRIED = ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas', 'x-hint', '$defs'];

/** the full schema of a mode block: own keys + route/bind, expire_after, transport, kind keys, aliases, rules[] */
export function buildModeBlockSchema(def: ModeDefinition): S {
  const own = (def.schema ?? {}) as { properties?: Record<string, S>; required?: string[] } & S;
  const props: Record<string, S> = { ...(own.properties ?? {}) };
  const required = new Set(own.required ?? []);
  if (def.mount === 'route' || def.mount === 'either') {
    props.route = {
      type: 'object', additionalProperties: false, required: ['path'],
      description: 'mount on the main listener',
      properties: { path: { type: 'string', format: 'mount', description: 'mount path, e.g. /npm' } },
    };
  }
  if (def.mount === 'bind' || def.mount === 'either') props.bind = { type: 'string', format: 'hostport', description: 'dedicated listener' };
  if (def.mount === 'route') required.add('route');
  if (def.mount === 'bind') required.add('bind');
  if (!def.optOut?.includes('expire_after')) props.expire_after = { type: 'string', format: 'expiration', default: '720h', description: 'default lifetime of every kind' };
  if (!def.optOut?.includes('transport')) props.transport = { $ref: 'urn:cache-proxy:transport' };
  for (const [key, { kind, field }] of derivedKindKeys(def)) {
    props[key] = field === 'policy' ? { ...enumOf(allowedFor(def, [kind], 'policy')), description: `policy of kind ${kind}` }
      : field === 'busy_policy' ? { ...enumOf(allowedFor(def, [kind], 'busy')), description: `busy policy of kind ${kind}` }
      : field === 'fresh_for' ? { type: 'string', format: 'freshness', description: `freshness of kind ${kind}` }
      : { type: 'string', format: 'expiration', description: `expiry of kind ${kind}` };
  }
  for (const [alias, target] of Object.entries(def.aliases ?? {})) if (props[target]) props[alias] = { ...props[target], description: `legacy name of ${target}` };
  if (def.rules) {
    const kinds = def.rules.kinds ?? Object.keys(def.kinds);
    const ownRule = ((props.rules?.items as S | undefined)?.properties ?? {}) as Record<string, S>;
    props.rules = {
      type: 'array',
      description: `${def.rules.combine === 'cumulative' ? 'every matching rule applies, later ones override' : 'the first matching rule applies'}; match is a glob on the ${def.rules.subject}`,
      items: {
        type: 'object', additionalProperties: false, required: ['match'],
        properties: {
          match: { type: 'string', format: 'glob', description: `glob on the ${def.rules.subject}` },
          policy: enumOf(allowedFor(def, kinds, 'policy')),
          fresh_for: { type: 'string', format: 'freshness' },
          busy_policy: enumOf(allowedFor(def, kinds, 'busy')),
          expire_after: { type: 'string', format: 'expiration' },
          ...ownRule,
          ...(def.rules.fields ?? {}),
        },
      },
    };
  }
  const out: S = { type: 'object', additionalProperties: false, properties: props };
  if (required.size) out.required = [...required];
  for (const k of CARRIED) if (own[k] !== undefined) out[k] = own[k];
  return out;
}

let shared: Ajv2020 | undefined;
/** the process-wide ajv instance with the project's formats and the transport schema */
export const sharedAjv = (): Ajv2020 => (shared ??= createAjv());

const compiled = new WeakMap<ModeDefinition, ValidateFunction>();
/** compiled validator of a mode block (cached per definition) */
export function modeValidator(ajv: Ajv2020, def: ModeDefinition): ValidateFunction {
  let v = compiled.get(def);
  if (!v) { v = ajv.compile(buildModeBlockSchema(def)); compiled.set(def, v); }
  return v;
}

/** names a mode may not take: instance keys and names the configuration uses otherwise */
export const RESERVED_MODE_NAMES = new Set(['name', 'enabled', 'access', 'max_size', 'negative_ttl', 'offline', 'server', 'storage', 'metrics', 'scheduler', 'log', 'plugins', 'instances', 'engine', 'transport']);
/** keys the engine adds to blocks; a mode's own schema may not declare them (rules only to add rule fields) */
const ENGINE_KEYS = ['route', 'bind', 'expire_after', 'transport'];
const FIELDS = ['policy', 'fresh_for', 'busy_policy', 'expire_after'];

function patternProblem(p: string): string | null {
  if (typeof p !== 'string') return 'must be a string';
  for (const seg of p.split('/')) {
    if (seg.startsWith(':')) { if (!/^:[A-Za-z_][A-Za-z0-9_]*\??$/.test(seg)) return `bad parameter segment "${seg}"`; }
    else if (seg.startsWith('*')) { if (!/^\*[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) return `bad rest segment "${seg}"`; }
    else if (/[:*]/.test(seg)) return `":" and "*" may only start a segment ("${seg}")`;
  }
  const rest = p.split('/').findIndex((s) => s.startsWith('*'));
  if (rest >= 0 && rest !== p.split('/').length - 1) return 'a *rest segment must be the last';
  return null;
}

/**
 * Spec §2.4 load checks of a mode definition (built-in or plugin). Returns problems, each naming `source`.
 * `taken`: names of modes already loaded (a plugin may not reuse a built-in's name).
 */
export function checkModeDefinition(def: ModeDefinition, source: string, taken: Iterable<string> = []): string[] {
  const errs: string[] = [];
  const say = (m: string) => errs.push(`${source}: ${m}`);
  if (!def || typeof def !== 'object') return [`${source}: the export is not a mode definition object`];
  if (def.contract !== 1) say(`unsupported contract ${JSON.stringify(def.contract)} (this cache-proxy supports contract 1)`);
  if (typeof def.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(def.name)) say(`mode name ${JSON.stringify(def.name)} must match ^[a-z][a-z0-9_]*$`);
  else if (RESERVED_MODE_NAMES.has(def.name)) say(`mode name "${def.name}" is reserved`);
  else if ([...taken].includes(def.name)) say(`mode name "${def.name}" is already taken by another mode`);
  if (!def.schema || typeof def.schema !== 'object' || Array.isArray(def.schema)) say('schema must be a JSON Schema object');
  if (!def.kinds || typeof def.kinds !== 'object') say('kinds must be an object');
  if (!Array.isArray(def.routes)) say('routes must be an array');
  if (typeof def.upstreams !== 'function') say('upstreams(config) must be a function');
  if (!['route', 'bind', 'either'].includes(def.mount)) say(`mount must be "route", "bind" or "either", got ${JSON.stringify(def.mount)}`);
  for (const o of def.optOut ?? []) if (!['transport', 'expire_after', 'kind_keys'].includes(o)) say(`unknown optOut entry "${String(o)}"`);
  if (errs.length) return errs;

  // kinds
  for (const [kind, spec] of Object.entries(def.kinds)) {
    if (!/^[a-z][a-z0-9_]*$/.test(kind)) say(`kind name "${kind}" must match ^[a-z][a-z0-9_]*$`);
    if (!spec || typeof spec !== 'object') { say(`kind "${kind}" is not an object`); continue; }
    if (!(POLICIES as readonly string[]).includes(spec.policy)) say(`kind "${kind}": policy must be one of ${POLICIES.join(', ')}`);
    if (spec.busy !== undefined && !(BUSY as readonly string[]).includes(spec.busy)) say(`kind "${kind}": busy must be one of ${BUSY.join(', ')}`);
    if (spec.fresh_for !== undefined && formatProblem('freshness', spec.fresh_for)) say(`kind "${kind}": fresh_for: ${formatProblem('freshness', spec.fresh_for)}`);
    if (spec.expire_after !== undefined && formatProblem('expiration', spec.expire_after)) say(`kind "${kind}": expire_after: ${formatProblem('expiration', spec.expire_after)}`);
    if (spec.maxRewriteBody !== undefined && formatProblem('size', spec.maxRewriteBody)) say(`kind "${kind}": maxRewriteBody: ${formatProblem('size', spec.maxRewriteBody)}`);
    for (const p of spec.allow?.policy ?? []) if (!(POLICIES as readonly string[]).includes(p)) say(`kind "${kind}": allow.policy has unknown policy "${p}"`);
    for (const b of spec.allow?.busy ?? []) if (!(BUSY as readonly string[]).includes(b)) say(`kind "${kind}": allow.busy has unknown busy policy "${b}"`);
    if (spec.allow?.policy && !spec.allow.policy.includes(spec.policy)) say(`kind "${kind}": default policy "${spec.policy}" is not in allow.policy`);
    if (spec.allow?.busy && spec.busy && !spec.allow.busy.includes(spec.busy)) say(`kind "${kind}": default busy "${spec.busy}" is not in allow.busy`);
    if (spec.keys && typeof spec.keys === 'object') {
      const other = def.kinds[spec.keys.sharedWith];
      if (!other) say(`kind "${kind}": keys.sharedWith names unknown kind "${spec.keys.sharedWith}"`);
      else if (other.keys !== undefined) say(`kind "${kind}": keys.sharedWith must name a kind with its own keys`);
    }
  }

  // routes
  for (const [i, r] of def.routes.entries()) {
    if (!r || typeof r !== 'object' || !r.match) { say(`route ${i} needs a match`); continue; }
    if (r.kind !== undefined && !def.kinds[r.kind]) say(`route ${i} names unknown kind "${r.kind}"`);
    if (r.kind === undefined && !r.respond && !r.status) say(`route ${i} needs a kind, respond or status`);
    const mt = r.match as { glob?: string; pattern?: string; regex?: unknown };
    if ('glob' in mt) { const p = globProblem(mt.glob as string); if (p) say(`route ${i}: invalid glob ${JSON.stringify(mt.glob)}: ${p}`); }
    else if ('pattern' in mt) { const p = patternProblem(mt.pattern as string); if (p) say(`route ${i}: invalid pattern ${JSON.stringify(mt.pattern)}: ${p}`); }
    else if ('regex' in mt) { if (!(mt.regex instanceof RegExp)) say(`route ${i}: match.regex must be a RegExp`); }
    else say(`route ${i}: match needs glob, pattern or regex`);
    if (r.maxBody !== undefined && formatProblem('size', r.maxBody)) say(`route ${i}: maxBody: ${formatProblem('size', r.maxBody)}`);
  }

  // schema: own schema compiles strictly, then the merged block schema
  const ownKeys = Object.keys(((def.schema as { properties?: object }).properties) ?? {});
  for (const k of ENGINE_KEYS) if (ownKeys.includes(k)) say(`schema key "${k}" collides with a key the engine adds`);
  if (ownKeys.includes('rules') && !def.rules) say('schema key "rules" is reserved for the engine\'s rules[] block (declare def.rules)');
  try { createAjv().compile(def.schema as JSONSchema); } catch (e) { say(`schema does not compile: ${(e as Error).message}`); }

  // derived keys, aliases, rules
  const derived = derivedKindKeys(def);
  const aliases = def.aliases ?? {};
  for (const key of derived.keys()) {
    if (ownKeys.includes(key)) say(`derived key "${key}" collides with a schema key`);
    if (key in aliases) say(`derived key "${key}" collides with an alias`);
  }
  for (const [alias, target] of Object.entries(aliases)) {
    if (!derived.has(target)) say(`alias "${alias}" targets "${target}", which is not a derived kind key`);
    if (ownKeys.includes(alias)) say(`alias "${alias}" collides with a schema key`);
    if (ENGINE_KEYS.includes(alias) || alias === 'rules') say(`alias "${alias}" collides with a key the engine adds`);
  }
  if (def.rules) {
    if (!['cumulative', 'first'].includes(def.rules.combine)) say(`rules.combine must be "cumulative" or "first"`);
    if (typeof def.rules.subject !== 'string' || !def.rules.subject) say('rules.subject must be "path" or a route parameter name');
    for (const k of def.rules.kinds ?? []) if (!def.kinds[k]) say(`rules.kinds names unknown kind "${k}"`);
    for (const f of Object.keys(def.rules.fields ?? {})) if (f === 'match' || FIELDS.includes(f)) say(`rules.fields "${f}" collides with an engine rule field`);
  }
  if (!errs.length) {
    try { createAjv().compile(buildModeBlockSchema(def)); } catch (e) { say(`merged block schema does not compile: ${(e as Error).message}`); }
  }
  return errs;
}
