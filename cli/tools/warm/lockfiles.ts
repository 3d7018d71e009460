// Lockfiles and dependency lists → the requests that bring every artifact (and the metadata its client reads
// offline) into the cache, as paths under the instance of a mode.
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface WarmItem {
  mode: string; path: string; accept?: string; label: string;
  /** a page that names the artifacts: from its body (and its URL), the absolute URLs to request next */
  pick?: (body: string, url: string) => { url: string; label: string }[];
}
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
  'pnpm-lock.yaml': parsePnpmLock,
  'yarn.lock': parseYarnLock,
  'requirements.txt': parseRequirements,
  'poetry.lock': parsePoetryLock,
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

/** npm items for name@version pairs, each pair once */
function npmParsed(format: string, pairs: [string, string, string?][], problems: string[] = []): Parsed {
  const items: WarmItem[] = [];
  for (const [name, version, resolved] of pairs) for (const i of npmItems(name, version, resolved)) if (!items.some((x) => x.path === i.path)) items.push(i);
  return { format, items, problems };
}

/** pnpm-lock.yaml v5 (`/name/1.0.0`), v6 (`/name@1.0.0`) and v9 (`name@1.0.0`) package keys; peer suffixes dropped */
export function parsePnpmLock(text: string): Parsed {
  const doc = parseYaml(text) as { packages?: Record<string, { resolution?: { tarball?: string }; version?: string }> };
  const pairs: [string, string, string?][] = [];
  const problems: string[] = [];
  for (const [key, p] of Object.entries(doc.packages ?? {})) {
    const k = key.replace(/^\//, '').replace(/\(.*$/, '');
    const m = /^((?:@[^/@]+\/)?[^/@]+)[@/]([^_/]+)(?:_.*)?$/.exec(k);
    if (!m) { problems.push(`${key}: not a registry package`); continue; }
    const tarball = p.resolution?.tarball;
    if (tarball && !/^https?:/.test(tarball)) { problems.push(`${key}: not from a registry (${tarball})`); continue; }
    pairs.push([m[1]!, p.version ?? m[2]!, tarball]);
  }
  return npmParsed('pnpm-lock.yaml', pairs, problems);
}

const yarnName = (spec: string) => { const s = spec.trim().replace(/^"|"$/g, ''); const at = s.indexOf('@', 1); return at < 0 ? s : s.slice(0, at); };
/** yarn.lock v1 (`version "…"`, `resolved "…"`) and berry (YAML, `resolution: "name@npm:1.0.0"`) */
export function parseYarnLock(text: string): Parsed {
  const pairs: [string, string, string?][] = [];
  const problems: string[] = [];
  if (/^__metadata:/m.test(text)) {
    const doc = parseYaml(text) as Record<string, { version?: string; resolution?: string }>;
    for (const [key, p] of Object.entries(doc)) {
      if (key === '__metadata' || !p.resolution || !p.version) continue;
      const m = /^((?:@[^/@]+\/)?[^/@]+)@npm:(.+)$/.exec(p.resolution);
      if (m) pairs.push([m[1]!, m[2]!]); else if (!p.resolution.includes('@workspace:')) problems.push(`${p.resolution}: not from a registry`);
    }
  } else {
    for (const block of text.split(/\n(?=\S)/)) {
      const head = block.split('\n')[0]!;
      if (head.startsWith('#') || !head.endsWith(':')) continue;
      const version = /^\s+version "([^"]+)"/m.exec(block)?.[1];
      const resolved = /^\s+resolved "([^"]+)"/m.exec(block)?.[1];
      if (!version) continue;
      if (resolved && !/^https?:/.test(resolved)) { problems.push(`${head}: not from a registry (${resolved})`); continue; }
      pairs.push([yarnName(head.slice(0, -1).split(',')[0]!), version, resolved]);
    }
  }
  return npmParsed('yarn.lock', pairs, problems);
}

const PIP_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.1, text/html;q=0.01';
const pyProject = (n: string) => n.replace(/[-_.]+/g, '-').toLowerCase();

/** the files of a project page (PEP 691 JSON or PEP 503 HTML) whose sha256 is listed, or, with no hashes, whose name carries the version */
function pickFiles(name: string, version: string, hashes: string[]) {
  return (body: string, pageUrl: string): { url: string; label: string }[] => {
    let files: { filename: string; url: string; sha256?: string }[];
    try {
      const doc = JSON.parse(body) as { files: { filename: string; url: string; hashes?: { sha256?: string } }[] };
      files = doc.files.map((f) => ({ filename: f.filename, url: f.url, sha256: f.hashes?.sha256 }));
    } catch {
      files = [...body.matchAll(/<a\s[^>]*href="([^"]+)"[^>]*>([^<]+)<\/a>/gi)].map((m) => {
        const href = m[1]!.replace(/&amp;/g, '&');
        return { filename: m[2]!.trim(), url: href.split('#')[0]!, sha256: /#sha256=([0-9a-f]{64})/.exec(href)?.[1] };
      });
    }
    const wanted = (f: (typeof files)[number]) => hashes.length ? !!f.sha256 && hashes.includes(f.sha256) : pyProject(f.filename).startsWith(`${pyProject(name)}-${pyProject(version)}-`) || f.filename.replace(/_/g, '-').toLowerCase().startsWith(`${pyProject(name)}-${version.toLowerCase()}.`);
    return files.filter(wanted).map((f) => ({ url: new URL(f.url, pageUrl).href, label: f.filename }));
  };
}
const pypiItem = (name: string, version: string, hashes: string[]): WarmItem =>
  ({ mode: 'pypi', path: `simple/${pyProject(name)}/`, accept: PIP_ACCEPT, label: `${name}==${version}`, pick: pickFiles(name, version, hashes) });

/** `name==version` lines (continuations joined), their `--hash=sha256:` values choosing the files */
export function parseRequirements(text: string): Parsed {
  const items: WarmItem[] = [];
  const problems: string[] = [];
  for (const raw of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line || line.startsWith('-')) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s;]+)/.exec(line);
    if (!m) { problems.push(`${line.split(/\s/)[0]}: not pinned with == (warm needs exact versions)`); continue; }
    items.push(pypiItem(m[1]!, m[2]!, [...line.matchAll(/--hash[= ]sha256:([0-9a-f]{64})/g)].map((h) => h[1]!)));
  }
  return { format: 'requirements.txt', items, problems };
}

/** [[package]] name/version with their files' sha256 (inline, or the older [metadata.files] table) */
export function parsePoetryLock(text: string): Parsed {
  const items: WarmItem[] = [];
  const meta = text.split(/^\[metadata\.files\]\s*$/m)[1] ?? '';
  for (const block of text.split(/^\[metadata(?:\.files)?\]\s*$/m)[0]!.split(/^\[\[package\]\]\s*$/m).slice(1)) {
    const name = /^name\s*=\s*"([^"]+)"/m.exec(block)?.[1], version = /^version\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    if (!name || !version) continue;
    let hashes = [...block.matchAll(/hash\s*=\s*"sha256:([0-9a-f]{64})"/g)].map((h) => h[1]!);
    if (!hashes.length) {
      const entry = new RegExp(`^"?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?\\s*=\\s*\\[([\\s\\S]*?)\\n\\]`, 'mi').exec(meta)?.[1] ?? '';
      hashes = [...entry.matchAll(/sha256:([0-9a-f]{64})/g)].map((h) => h[1]!);
    }
    items.push(pypiItem(name, version, hashes));
  }
  return { format: 'poetry.lock', items, problems: [] };
}
