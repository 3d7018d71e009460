// The abbreviated (`install-v1`) packument made from a full one, for when only the full document is stored
// and the registry cannot be reached: the top-level and per-version fields the registry's abbreviated
// form carries, values unchanged (tarball URLs stay the upstream's: the document rewrite applies after).

const VERSION_FIELDS = [
  'name', 'version', 'deprecated', 'dependencies', 'optionalDependencies', 'devDependencies', 'bundleDependencies', 'bundledDependencies',
  'peerDependencies', 'peerDependenciesMeta', 'acceptDependencies', 'bin', 'directories', 'dist', 'engines', 'cpu', 'os', 'libc',
  '_hasShrinkwrap', 'hasInstallScript',
];
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];

type Doc = Record<string, unknown>;
const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

export function abbreviatePackument(full: Buffer): Buffer {
  const doc = JSON.parse(full.toString('utf8')) as unknown;
  if (!isObject(doc) || typeof doc.name !== 'string' || !isObject(doc.versions)) throw new Error('not a full packument');
  const time = isObject(doc.time) ? doc.time : {};
  const modified = typeof time.modified === 'string' ? time.modified : typeof doc.modified === 'string' ? doc.modified : undefined;
  const versions: Doc = {};
  for (const [v, full] of Object.entries(doc.versions)) {
    if (!isObject(full)) continue;
    const out: Doc = {};
    for (const f of VERSION_FIELDS) if (full[f] !== undefined) out[f] = full[f];
    const scripts = isObject(full.scripts) ? full.scripts : {};
    if (out.hasInstallScript === undefined && INSTALL_SCRIPTS.some((s) => typeof scripts[s] === 'string')) out.hasInstallScript = true;
    versions[v] = out;
  }
  const abbreviated: Doc = { name: doc.name, ...(modified ? { modified } : {}), 'dist-tags': isObject(doc['dist-tags']) ? doc['dist-tags'] : {}, versions };
  return Buffer.from(JSON.stringify(abbreviated));
}
