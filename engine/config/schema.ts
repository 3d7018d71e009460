// JSON Schemas of mode blocks: the mode's own keys + the engine keys every mode gets (route/bind, expire_after,
// transport, the K_* keys of its kinds, rules),
// compiled by one ajv instance with the project's value formats.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import picomatch from 'picomatch';
import type { ModeDefinition } from '../mode.js';
import { derivedKindKeys } from '../mode.js';
import { readSchema } from '../paths.js';
import { parseDuration, parseFreshness, parseExpiration, parseSize, parseUrl, parseHostPort, checkMount } from './values.js';

const ok = (f: (v: string) => unknown) => (v: string) => { try { f(v); return true; } catch { return false; } };

export const FORMAT_HINTS: Record<string, string> = {
  duration: 'must be a duration (30s, 5m, 1h30m)',
  freshness: 'must be a duration (30s, 5m) or "forever"',
  expiration: 'must be a duration (720h) or "never"',
  size: 'must be a size (512MiB, 10GB) or a number of bytes',
  url: 'must be an absolute http(s) URL with a host',
  hostport: 'must be host:port (host empty, localhost or an IP literal)',
  mount: 'must be a path like /npm (not /, no //, not under /-/)',
  glob: 'must be a valid glob',
  proxyurl: 'must be an http, https or socks5 URL',
  passheader: 'must be a header name that may be forwarded',
};

const FORBIDDEN_PASS = /^(connection|keep-alive|proxy-authenticate|proxy-authorization|te|trailers?|transfer-encoding|upgrade|host|authorization|x-forwarded-.*|x-real-ip)$/i;

export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true, useDefaults: true, allowUnionTypes: true });
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  ajv.addFormat('duration', { type: 'string', validate: ok(parseDuration) });
  ajv.addFormat('freshness', { type: 'string', validate: ok(parseFreshness) });
  ajv.addFormat('expiration', { type: 'string', validate: ok(parseExpiration) });
  ajv.addFormat('size', { type: 'string', validate: ok(parseSize) });
  ajv.addFormat('url', { type: 'string', validate: ok(parseUrl) });
  ajv.addFormat('hostport', { type: 'string', validate: ok(parseHostPort) });
  ajv.addFormat('mount', { type: 'string', validate: (v: string) => checkMount(v) === null });
  ajv.addFormat('glob', { type: 'string', validate: ok((v: string) => picomatch.makeRe(v, { dot: true, strictBrackets: true })) });
  ajv.addFormat('proxyurl', { type: 'string', validate: (v: string) => { try { const u = new URL(v); return ['http:', 'https:', 'socks5:'].includes(u.protocol) && !!u.hostname; } catch { return false; } } });
  ajv.addFormat('passheader', { type: 'string', validate: (v: string) => /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(v) && !FORBIDDEN_PASS.test(v) });
  ajv.addSchema(readSchema('transport'));
  return ajv;
}

let shared: Ajv2020 | undefined;
/** the ajv instance configuration loading uses (schemas compile once) */
export const sharedAjv = (): Ajv2020 => (shared ??= createAjv());

/**
 * A copy of `value` with the defaults of the schema registered as `id` filled in (the schema is where defaults
 * are written; code reads them from there). Meant for values that already passed validation.
 */
export function withSchemaDefaults<T>(id: string, value: T): T {
  const copy = structuredClone(value);
  sharedAjv().getSchema(id)!(copy);
  return copy;
}

/** a copy of a mode block with the defaults of the mode's full block schema filled in, as loading leaves it */
export function modeBlockWithDefaults(def: ModeDefinition, block: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(block);
  modeValidator(sharedAjv(), def)(copy);
  return copy;
}

/** how long an unused entry is kept: the default of every mode block's expire_after */
export const DEFAULT_EXPIRE_AFTER = '720h';

const policy = (allowed?: string[]) => ({ enum: allowed ?? ['bypass', 'immutable', 'revalidate'] });
const busy = (allowed?: string[]) => ({ enum: allowed ?? ['join', 'stale', 'bypass'] });

/** the full schema of a mode block */
export function buildModeBlockSchema(def: ModeDefinition): Record<string, unknown> {
  const own = def.schema as { properties?: Record<string, unknown>; required?: string[] };
  const props: Record<string, unknown> = { ...(own.properties ?? {}) };
  const required = [...(own.required ?? [])];
  if (def.mount === 'route' || def.mount === 'either') props.route = { type: 'object', additionalProperties: false, required: ['path'], properties: { path: { type: 'string', format: 'mount' } } };
  if (def.mount === 'bind' || def.mount === 'either') props.bind = { type: 'string', format: 'hostport' };
  if (def.mount === 'route') required.push('route');
  if (!def.optOut?.includes('expire_after')) props.expire_after = { type: 'string', format: 'expiration', default: DEFAULT_EXPIRE_AFTER };
  if (!def.optOut?.includes('transport')) props.transport = { $ref: 'cache-proxy/transport' };
  for (const [key, { kind, field }] of derivedKindKeys(def)) {
    const allow = def.kinds[kind]!.allow;
    props[key] = field === 'policy' ? policy(allow?.policy) : field === 'busy_policy' ? busy(allow?.busy)
      : field === 'fresh_for' ? { type: 'string', format: 'freshness' } : { type: 'string', format: 'expiration' };
  }
  for (const [alias, target] of Object.entries(def.aliases ?? {})) props[alias] = props[target] ?? {};
  if (def.rules) {
    props.rules = {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['match'],
        properties: {
          match: { type: 'string', format: 'glob' },
          policy: policy(), fresh_for: { type: 'string', format: 'freshness' }, busy_policy: busy(), expire_after: { type: 'string', format: 'expiration' },
          ...(def.rules.fields ?? {}),
        },
      },
    };
  }
  return { type: 'object', additionalProperties: false, properties: props, ...(required.length ? { required } : {}) };
}

const compiled = new WeakMap<ModeDefinition, ValidateFunction>();
export function modeValidator(ajv: Ajv2020, def: ModeDefinition): ValidateFunction {
  let v = compiled.get(def);
  if (!v) { v = ajv.compile(buildModeBlockSchema(def)); compiled.set(def, v); }
  return v;
}

const RESERVED = new Set(['name', 'enabled', 'access', 'max_size', 'negative_ttl', 'offline', 'server', 'storage', 'metrics']);

/** checks a plugin's mode definition when it is loaded; returns problems naming the source package */
export function checkModeDefinition(def: ModeDefinition, source: string): string[] {
  const errs: string[] = [];
  const say = (m: string) => errs.push(`${source}: ${m}`);
  if (!def || typeof def !== 'object') return [`${source}: default export is not a mode definition`];
  if (def.contract !== 1) say(`unsupported contract ${String(def.contract)} (this cache-proxy supports 1)`);
  if (typeof def.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(def.name)) say(`mode name "${String(def.name)}" must match ^[a-z][a-z0-9_]*$`);
  else if (RESERVED.has(def.name)) say(`mode name "${def.name}" is reserved`);
  if (!def.kinds || typeof def.kinds !== 'object') say('kinds must be an object');
  if (!Array.isArray(def.routes)) say('routes must be an array');
  if (typeof def.upstreams !== 'function') say('upstreams(config) must be a function');
  if (!['route', 'bind', 'either'].includes(def.mount)) say(`mount must be route, bind or either`);
  if (def.settings !== undefined && typeof def.settings !== 'function') say('settings(block) must be a function');
  if (errs.length) return errs;
  for (const [i, r] of def.routes.entries()) {
    if (r.kind !== undefined && !def.kinds[r.kind]) say(`route ${i} names unknown kind "${r.kind}"`);
    if (r.kind === undefined && !r.respond && !r.status) say(`route ${i} needs a kind, respond or status`);
    const mt = r.match as { glob?: string; pattern?: string; regex?: RegExp };
    if (mt.glob !== undefined) { try { picomatch.makeRe(mt.glob, { strictBrackets: true }); } catch { say(`route ${i}: invalid glob "${mt.glob}"`); } }
  }
  try { createAjv().compile(def.schema); } catch (e) { say(`schema does not compile: ${(e as Error).message}`); }
  const own = Object.keys((def.schema as { properties?: object }).properties ?? {});
  for (const key of Object.keys(def.removedKeys ?? {})) if (own.includes(key)) say(`removed key "${key}" is also a schema key`);
  for (const key of derivedKindKeys(def).keys()) if (own.includes(key) || Object.keys(def.aliases ?? {}).includes(key)) say(`derived key "${key}" collides with a schema key or alias`);
  return errs;
}
