// Embedded default: one deb instance per archive base of this machine's apt sources, named after what it
// serves: the base's last path segment, plus the suite family every suite of it shares (`…-security`), so
// `<host>/debian` and `<host>/debian-security` become `debian` and `debian-security`, and an Ubuntu
// security archive at `<host>/ubuntu` becomes `ubuntu-security`.
import { aptSources, type AptSource } from './apt-sources.js';
import { claimName, slug } from '../shared/instance-names.js';

const GENERIC_HOST_LABELS = new Set(['www', 'deb', 'apt', 'ftp', 'http', 'archive', 'download', 'downloads', 'packages', 'pkg', 'repo', 'mirror', 'security']);

function hostLabel(uri: string): string {
  const labels = new URL(uri).hostname.split('.').map(slug).filter(Boolean);
  return labels.find((l) => !GENERIC_HOST_LABELS.has(l)) ?? labels[0] ?? 'apt';
}

/** `security` when every suite is `<codename>-security`; undefined when the suites share no family */
function suiteFamily(suites: string[]): string | undefined {
  const families = new Set(suites.filter((s) => !s.startsWith('.')).map((s) => (/^[^-/]+-([a-z]+)$/i.exec(s)?.[1] ?? '').toLowerCase()));
  const [only] = families;
  return families.size === 1 && only ? only : undefined;
}

export function archiveInstances(sources: AptSource[]): { name: string; block: Record<string, unknown> }[] {
  const suitesOf = new Map<string, string[]>();
  for (const s of sources) if (s.types.includes('deb')) suitesOf.set(s.uri, [...(suitesOf.get(s.uri) ?? []), ...s.suites]);
  const taken = new Set<string>();
  const out: { name: string; block: Record<string, unknown> }[] = [];
  for (const [uri, suites] of suitesOf) {
    const segment = slug(new URL(uri).pathname.split('/').filter(Boolean).pop() ?? '') || hostLabel(uri);
    const family = suiteFamily(suites);
    let name = family && !segment.split('-').includes(family) ? `${segment}-${family}` : segment;
    if (taken.has(name)) name = `${name}-${hostLabel(uri)}`;
    name = claimName(taken, name);
    out.push({ name, block: { route: { path: `/${name}` }, upstreams: [uri] } });
  }
  return out;
}

/** CACHE_PROXY_APT_DIR stands in for /etc/apt (tests: a machine without apt sources) */
export async function discoverApt(env: NodeJS.ProcessEnv = process.env): Promise<{ name: string; block: Record<string, unknown> }[]> {
  return archiveInstances(aptSources(env.CACHE_PROXY_APT_DIR || undefined));
}
