// Embedded default: one rpm instance per repository base of this machine's dnf/yum and zypper `.repo` files.
// A base is a baseurl up to its first segment with a client variable (`$releasever`, `${basearch}`…): the
// client keeps its variables in the path below the instance, and roots are discovered from its requests.
// The instance is named after the repository id that first named the base. Sections with only a mirrorlist
// or metalink are left out (the mirrors are chosen by the client at run time).
import { repoSections, type RepoSection } from './repo-files.js';
import { claimName, slug } from '../shared/instance-names.js';

/** the URL before its first path segment that holds a variable, without the trailing slash */
export function repositoryBase(baseurl: string): string {
  const [, origin, path = ''] = /^(https?:\/\/[^/?#]+)([^?#]*)/i.exec(baseurl) ?? [];
  const segments = path.split('/').filter(Boolean);
  const cut = segments.findIndex((s) => s.includes('$'));
  return `${origin}${(cut < 0 ? segments : segments.slice(0, cut)).map((s) => `/${s}`).join('')}`;
}

/** one instance per base a section names first; the section's other baseurls (its mirrors) become further upstreams */
export function repositoryInstances(sections: RepoSection[]): { name: string; block: Record<string, unknown> }[] {
  const byBase = new Map<string, { id: string; upstreams: string[] }>();
  for (const s of sections) {
    const bases = s.baseurls.map(repositoryBase);
    const inst = byBase.get(bases[0]!) ?? { id: s.id, upstreams: [] };
    byBase.set(bases[0]!, inst);
    for (const b of bases) if (!inst.upstreams.includes(b)) inst.upstreams.push(b);
  }
  const taken = new Set<string>();
  const out: { name: string; block: Record<string, unknown> }[] = [];
  for (const { id, upstreams } of byBase.values()) {
    const name = claimName(taken, slug(id) || 'rpm');
    out.push({ name, block: { route: { path: `/${name}` }, upstreams } });
  }
  return out;
}

/** CACHE_PROXY_RPM_ETC_DIR stands in for /etc (tests: a machine without repository files) */
export async function discoverRpm(env: NodeJS.ProcessEnv = process.env): Promise<{ name: string; block: Record<string, unknown> }[]> {
  return repositoryInstances(repoSections(env.CACHE_PROXY_RPM_ETC_DIR || undefined));
}
