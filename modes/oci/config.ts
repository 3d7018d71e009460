// Cross-field config rules of an oci block (route /v2 or bind, upstream or registries[], unique names) and the per-registry credentials and origins.
import type { ModeConfig, StaticCredentials } from '../../engine/mode.js';
import { registriesOf } from './names.js';

type Problem = { path?: (string | number)[]; message: string };

function authProblems(a: Record<string, unknown> | undefined, path: (string | number)[]): Problem[] {
  if (!a || !a.type || a.type === 'none') return [];
  if (a.type === 'basic' && (!a.username || a.password === undefined)) return [{ path, message: 'auth.type basic needs username and password' }];
  if (a.type === 'bearer' && !a.token) return [{ path, message: 'auth.type bearer needs token' }];
  return [];
}

export function checkOciConfig(c: ModeConfig): Problem[] {
  const out: Problem[] = [];
  const route = (c.route as { path?: string } | undefined)?.path;
  if (route !== undefined && route !== '/v2') out.push({ path: ['route', 'path'], message: `must be /v2 (the registry API sits at /v2/), got "${route}"` });
  if (route === undefined && !c.bind) out.push({ message: 'set bind (a listener of its own) or route.path: /v2 (on the main listener)' });
  const regs = (c.registries as Record<string, unknown>[] | undefined) ?? [];
  if (!c.upstream && regs.length === 0) out.push({ message: 'set upstream (the default registry) or registries[]' });
  const seen = new Set<string>();
  regs.forEach((r, i) => {
    if (seen.has(String(r.name))) out.push({ path: ['registries', i, 'name'], message: `duplicate registry name "${String(r.name)}"` });
    seen.add(String(r.name));
    out.push(...authProblems(r.auth as Record<string, unknown> | undefined, ['registries', i, 'auth']));
  });
  out.push(...authProblems(c.auth as Record<string, unknown> | undefined, ['auth']));
  return out;
}

const origin = (u: string) => new URL(u).origin;

/** the configured credentials of the registry entry that owns this origin (never a mirror's) */
export function credentialsFor(c: ModeConfig, o: string): StaticCredentials | null {
  const regs = registriesOf(c);
  for (const r of [...(regs.fallback ? [regs.fallback] : []), ...regs.byName.values()]) {
    if (origin(r.upstream) !== o) continue;
    const a = r.auth;
    if (!a || !a.type || a.type === 'none') return null;
    return { type: a.type as 'basic' | 'bearer', username: a.username as string | undefined, password: a.password as string | undefined, token: a.token as string | undefined };
  }
  return null;
}

/** every origin the instance may contact: registries and their mirrors */
export function ociUpstreams(c: ModeConfig): string[] {
  const regs = registriesOf(c);
  return [...new Set([...(regs.fallback ? [regs.fallback] : []), ...regs.byName.values()].flatMap((r) => [...r.mirrors, r.upstream]))];
}

export function snippet(url: string, c: ModeConfig): string {
  const host = url.replace(/^https?:\/\//, '').replace(/\/v2\/?$/, '').replace(/\/+$/, '');
  const first = registriesOf(c).byName.keys().next().value as string | undefined;
  return c.upstream ? `docker pull ${host}/<repo>:<tag>` : `docker pull ${host}/${first ?? '<registry>'}/<repo>:<tag>`;
}
