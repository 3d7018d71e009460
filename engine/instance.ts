// One configured proxy: its mode definition compiled against its config block.
import picomatch from 'picomatch';
import type { ModeDefinition, Policy, Busy, KindSpec, ModeConfig } from './mode.js';
import type { InstanceConfig } from './config/types.js';
import { compileRoutes, type CompiledRoute } from './routing.js';
import { DEFAULT_EXPIRE_AFTER } from './config/schema.js';
import { parseFreshness, parseExpiration, parseSize } from './config/values.js';

/** the largest body a rewrite kind buffers when it names no body.maxBytes */
export const DEFAULT_MAX_REWRITE = 64 * 1024 * 1024;

export interface Resolved {
  kind: string;
  spec: KindSpec;
  policy: Policy;
  freshMs: number | undefined; // undefined = never fresh (revalidate every time); Infinity = forever
  busy: Busy;
  expireMs: number; // Infinity = never
  rule: Readonly<Record<string, unknown>>;
}

interface CompiledRule { isMatch: (s: string) => boolean; fields: Record<string, unknown> }

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

export class Instance {
  readonly name: string;
  readonly routes: CompiledRoute[];
  readonly block: ModeConfig;
  /** the mode's parsed settings of this block (`ModeDefinition.settings`), made once */
  readonly settings: unknown;
  readonly upstreams: string[];
  /** origins (and bare hosts) this instance may fetch: its upstreams and transport.allow_hosts (SSRF guard) */
  readonly allowedOrigins: Set<string>;
  private readonly base = new Map<string, Omit<Resolved, 'rule'>>();
  private readonly rules: CompiledRule[] = [];
  private readonly maxBodies = new Map<KindSpec, number | undefined>();

  constructor(readonly def: ModeDefinition, readonly cfg: InstanceConfig) {
    this.name = cfg.name;
    this.block = Object.freeze({ ...cfg.block });
    this.settings = def.settings ? def.settings(this.block) : this.block;
    this.routes = compileRoutes(def);
    this.upstreams = def.upstreams(this.block).map((u) => u.replace(/\/+$/, ''));
    const extra = ((this.block.transport as { allow_hosts?: string[] } | undefined)?.allow_hosts ?? []).map((h) => (h.includes('://') ? new URL(h).origin : h));
    const declared = (def.origins?.(this.block) ?? []).map((u) => new URL(u).origin);
    this.allowedOrigins = new Set([...this.upstreams.map((u) => new URL(u).origin), ...declared, ...extra]);
    const blockExpire = str(this.block.expire_after);
    const keyOf = (kind: string, field: string): unknown => {
      const spec = def.kinds[kind]!;
      const owner = spec.keys && 'sharedWith' in spec.keys ? spec.keys.sharedWith : kind;
      const k = `${owner}_${field}`;
      if (this.block[k] !== undefined && this.block[k] !== '') return this.block[k];
      for (const [alias, target] of Object.entries(def.aliases ?? {})) if (target === k && this.block[alias] !== undefined && this.block[alias] !== '') return this.block[alias];
      return undefined;
    };
    for (const [kind, spec] of Object.entries(def.kinds)) {
      const keyed = spec.keys !== false && !def.optOut?.includes('kind_keys');
      const policy = ((keyed && str(keyOf(kind, 'policy'))) || spec.policy) as Policy;
      const fresh = (keyed && str(keyOf(kind, 'fresh_for'))) || spec.fresh_for;
      const expire = (keyed && str(keyOf(kind, 'expire_after'))) || spec.expire_after || blockExpire || DEFAULT_EXPIRE_AFTER;
      const busy = ((keyed && str(keyOf(kind, 'busy_policy'))) || spec.busy || (policy === 'immutable' ? 'join' : 'stale')) as Busy;
      // expiry 'mode': the mode's cleanup applies the K_expire_after value itself
      this.base.set(kind, { kind, spec, policy, freshMs: fresh ? parseFreshness(fresh) : undefined, busy, expireMs: spec.expiry === 'mode' ? Infinity : parseExpiration(expire) });
    }
    const rules = (this.block.rules as Record<string, unknown>[] | undefined) ?? [];
    for (const r of rules) {
      const { match, ...fields } = r;
      this.rules.push({ isMatch: picomatch(String(match), { dot: true }), fields });
    }
  }

  /** largest body a kind buffers (rewrite, index), worked out once per kind; undefined = no limit of its own */
  maxBody(kind: KindSpec): number | undefined {
    if (this.maxBodies.has(kind)) return this.maxBodies.get(kind);
    const v = kind.body?.maxBytes;
    const max = typeof v === 'function' ? v(this.block) : typeof v === 'string' ? parseSize(v) : kind.body?.rewrite ? DEFAULT_MAX_REWRITE : undefined;
    this.maxBodies.set(kind, max);
    return max;
  }

  resolve(kind: string, subject: string | undefined): Resolved {
    const b = this.base.get(kind)!;
    const out: Resolved = { ...b, rule: {} };
    const rs = this.def.rules;
    if (!rs || subject === undefined || (rs.kinds && !rs.kinds.includes(kind))) return out;
    const rule: Record<string, unknown> = {};
    for (const r of this.rules) {
      if (!r.isMatch(subject)) continue;
      Object.assign(rule, Object.fromEntries(Object.entries(r.fields).filter(([, v]) => v !== undefined && v !== '')));
      if (rs.combine === 'first') break;
    }
    if (str(rule.policy)) out.policy = rule.policy as Policy;
    if (str(rule.fresh_for)) out.freshMs = parseFreshness(String(rule.fresh_for));
    if (str(rule.expire_after)) out.expireMs = parseExpiration(String(rule.expire_after));
    if (str(rule.busy_policy)) out.busy = rule.busy_policy as Busy;
    const allow = b.spec.allow;
    if (allow?.policy && !allow.policy.includes(out.policy)) out.policy = b.policy;
    if (allow?.busy && !allow.busy.includes(out.busy)) out.busy = b.busy;
    out.rule = rule;
    return out;
  }
}

