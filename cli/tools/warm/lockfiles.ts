// Lockfiles and dependency lists → the requests that bring every artifact (and the metadata its client reads
// offline) into the cache, as paths under the instance of a mode.
import { basename } from 'node:path';

export interface WarmItem { mode: string; path: string; accept?: string; label: string }
export interface Parsed { format: string; items: WarmItem[]; problems: string[] }

export function detectFormat(file: string): string | undefined {
  const b = basename(file);
  if (b === 'package-lock.json' || b === 'npm-shrinkwrap.json') return 'package-lock.json';
  if (b === 'Cargo.lock') return 'Cargo.lock';
  if (b === 'go.sum') return 'go.sum';
  if (b === 'pom.xml') return 'pom.xml';
  if (b === 'pnpm-lock.yaml') return 'pnpm-lock.yaml';
  if (b === 'yarn.lock') return 'yarn.lock';
  if (b === 'poetry.lock') return 'poetry.lock';
  if (/^requirements.*\.txt$/.test(b)) return 'requirements.txt';
  return undefined;
}

/** the parsers warm has; a format outside this table is reported unsupported */
export const PARSERS: Record<string, (text: string) => Parsed> = {
  'package-lock.json': parsePackageLock,
  'Cargo.lock': parseCargoLock,
  'go.sum': parseGoSum,
  'pom.xml': parsePom,
};

const npmName = (name: string) => name.replace('/', '%2f');
function npmItems(name: string, version: string, resolved?: string): WarmItem[] {
  const file = `${name.split('/').pop()}-${version}.tgz`;
  // a resolved URL keeps its `<name>/-/<file>` tail (the registry's origin is the proxy's business)
  const tail = resolved ? /\/((?:@[^/]+\/)?[^/]+\/-\/[^/?#]+\.tgz)(?:[?#].*)?$/.exec(resolved)?.[1] : undefined;
  return [
    { mode: 'npm', path: npmName(name), accept: 'application/json', label: `${name} (document)` },
    { mode: 'npm', path: tail ?? `${name}/-/${file}`, label: `${name}@${version}` },
  ];
}

/** lockfileVersion 2/3 (`packages`) and 1 (`dependencies`), with or without `resolved` URLs */
export function parsePackageLock(text: string): Parsed {
  const doc = JSON.parse(text) as { packages?: Record<string, { version?: string; resolved?: string; link?: boolean; name?: string; inBundle?: boolean }>; dependencies?: Record<string, V1Dep> };
  interface V1Dep { version?: string; resolved?: string; bundled?: boolean; dependencies?: Record<string, V1Dep> }
  const items: WarmItem[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const add = (name: string, version: string | undefined, resolved?: string) => {
    if (!version || seen.has(`${name}@${version}`)) return;
    seen.add(`${name}@${version}`);
    if (resolved && !/^https?:/.test(resolved)) { problems.push(`${name}@${version}: not from a registry (${resolved})`); return; }
    for (const i of npmItems(name, version, resolved)) if (!items.some((x) => x.path === i.path)) items.push(i);
  };
  if (doc.packages) {
    for (const [path, p] of Object.entries(doc.packages)) {
      if (!path || p.link || p.inBundle) continue;
      add(p.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length), p.version, p.resolved);
    }
  } else {
    const walk = (deps: Record<string, V1Dep> = {}) => { for (const [n, d] of Object.entries(deps)) { if (!d.bundled) add(n, d.version, d.resolved); walk(d.dependencies); } };
    walk(doc.dependencies);
  }
  return { format: 'package-lock.json', items, problems };
}

function cargoIndexPath(name: string): string {
  const n = name.toLowerCase();
  return n.length <= 2 ? `${n.length}/${n}` : n.length === 3 ? `3/${n[0]}/${n}` : `${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`;
}

/** [[package]] entries with a registry source */
export function parseCargoLock(text: string): Parsed {
  const items: WarmItem[] = [{ mode: 'cargo', path: 'config.json', label: 'registry config' }];
  const problems: string[] = [];
  for (const block of text.split(/^\[\[package\]\]\s*$/m).slice(1)) {
    const field = (k: string) => new RegExp(`^${k}\\s*=\\s*"([^"]*)"`, 'm').exec(block)?.[1];
    const name = field('name'), version = field('version'), source = field('source');
    if (!name || !version || !source) continue; // workspace members and path dependencies
    if (!source.startsWith('registry+') && !source.startsWith('sparse+')) { problems.push(`${name} ${version}: not from a registry (${source})`); continue; }
    if (!items.some((i) => i.path === cargoIndexPath(name))) items.push({ mode: 'cargo', path: cargoIndexPath(name), label: `${name} (index)` });
    items.push({ mode: 'cargo', path: `api/v1/crates/${name}/${version}/download`, label: `${name} ${version}` });
  }
  return { format: 'Cargo.lock', items, problems };
}

const goEscape = (s: string) => s.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
/** `module version[/go.mod] h1:…` lines: the .info and .mod of each, the .zip of those with a module hash */
export function parseGoSum(text: string): Parsed {
  const items: WarmItem[] = [];
  const have = new Set<string>();
  const add = (path: string, label: string) => { if (!have.has(path)) { have.add(path); items.push({ mode: 'go', path, label }); } };
  for (const line of text.split('\n')) {
    const [mod, ver] = line.trim().split(/\s+/);
    if (!mod || !ver) continue;
    const v = ver.replace(/\/go\.mod$/, '');
    const base = `${goEscape(mod)}/@v/${goEscape(v)}`;
    add(`${base}.info`, `${mod}@${v} (info)`);
    add(`${base}.mod`, `${mod}@${v} (go.mod)`);
    if (!ver.endsWith('/go.mod')) add(`${base}.zip`, `${mod}@${v}`);
  }
  return { format: 'go.sum', items, problems: [] };
}

/** <dependencies> of a pom: each dependency's pom and (unless its type is pom) its artifact; ${…} from <properties> */
export function parsePom(text: string): Parsed {
  const props = new Map<string, string>();
  const propsBlock = /<properties>([\s\S]*?)<\/properties>/.exec(text)?.[1] ?? '';
  for (const m of propsBlock.matchAll(/<([A-Za-z0-9_.-]+)>([^<]*)<\/\1>/g)) props.set(m[1]!, m[2]!.trim());
  const projectVersion = /<project[\s\S]*?<version>([^<]+)<\/version>/.exec(text.replace(/<parent>[\s\S]*?<\/parent>|<dependencies>[\s\S]*<\/dependencies>/g, ''))?.[1];
  if (projectVersion) props.set('project.version', projectVersion.trim());
  const subst = (s: string) => s.replace(/\$\{([^}]+)\}/g, (all, k: string) => props.get(k) ?? all);
  const items: WarmItem[] = [];
  const problems: string[] = [];
  const body = text.replace(/<dependencyManagement>[\s\S]*?<\/dependencyManagement>/g, '');
  for (const block of (/<dependencies>([\s\S]*?)<\/dependencies>/.exec(body)?.[1] ?? '').split('</dependency>')) {
    const f = (k: string) => { const v = new RegExp(`<${k}>([^<]*)</${k}>`).exec(block)?.[1]; return v === undefined ? undefined : subst(v.trim()); };
    const g = f('groupId'), a = f('artifactId'), v = f('version'), type = f('type') ?? 'jar', classifier = f('classifier');
    if (!g || !a) continue;
    if (!v || v.includes('${')) { problems.push(`${g}:${a}: no resolvable version in the pom (${v ?? 'managed elsewhere'})`); continue; }
    const dir = `${g.replace(/\./g, '/')}/${a}/${v}`;
    items.push({ mode: 'maven', path: `${dir}/${a}-${v}.pom`, label: `${g}:${a}:${v} (pom)` });
    if (type !== 'pom') items.push({ mode: 'maven', path: `${dir}/${a}-${v}${classifier ? `-${classifier}` : ''}.${type === 'test-jar' ? 'jar' : type}`, label: `${g}:${a}:${v}` });
  }
  return { format: 'pom.xml', items, problems };
}
