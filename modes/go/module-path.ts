// Module paths and versions as the GOPROXY protocol sends them: case-encoded (`!x` = `X`), validated the way
// the go command validates them, decoded only to be checked and to be named in messages.

/** `!x` → `X`; null when the text is not a valid case-encoding (a raw upper-case letter, `!` not before a-z) */
export function unescapeCase(escaped: string): string | null {
  let out = '';
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i]!;
    if (c >= 'A' && c <= 'Z') return null;
    if (c !== '!') { out += c; continue; }
    const next = escaped[i + 1];
    if (next === undefined || next < 'a' || next > 'z') return null;
    out += next.toUpperCase();
    i++;
  }
  return out;
}

const ELEMENT_CHAR = /^[A-Za-z0-9._~-]+$/;
const FIRST_ELEMENT = /^[a-z0-9.-]+$/;

/** the go command's rules for a module path (module.CheckPath, without the Windows-only reserved names) */
export function validModulePath(path: string): boolean {
  if (!path || path.startsWith('/') || path.endsWith('/') || path.length > 1024) return false;
  const elems = path.split('/');
  for (const e of elems) {
    if (!e || e === '.' || e === '..' || !ELEMENT_CHAR.test(e) || e.startsWith('.') || e.endsWith('.')) return false;
  }
  const first = elems[0]!;
  return first.includes('.') && !first.startsWith('-') && FIRST_ELEMENT.test(first);
}

const SEMVER = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(\+incompatible)?$/;

/** a semantic version equal to its canonical form (pseudo-versions included, +incompatible kept, no other build) */
export function isCanonicalVersion(v: string): boolean {
  return SEMVER.test(v);
}

/** a version text a query may carry (a branch, a tag prefix): printable, no path separators */
export function validQuery(v: string): boolean {
  return v.length > 0 && v.length <= 256 && /^[\x21-\x7e]+$/.test(v) && !/[/\\]/.test(v) && v !== '.' && v !== '..';
}

export type ModuleFile = 'list' | 'latest' | 'info' | 'mod' | 'zip';

/** one request of the module protocol, in the encoded form it was sent and decoded */
export interface ModuleRequest { escaped: string; path: string; file: ModuleFile; escapedVersion?: string; version?: string }

const SHAPE = /^(?<m>.+?)\/(?:@v\/list|@latest|@v\/(?<v>[^/]+)\.(?<ext>info|mod|zip))$/;

/** the mount-relative path's module request: null when it has no module-protocol shape; `valid: false` when it does
 *  but the module path or version is invalid */
export function moduleRequest(path: string): (ModuleRequest & { valid: boolean }) | null {
  const g = SHAPE.exec(path)?.groups;
  if (!g) return null;
  const escaped = g.m!;
  const file: ModuleFile = g.ext ? (g.ext as ModuleFile) : path.endsWith('/@latest') ? 'latest' : 'list';
  const decoded = unescapeCase(escaped);
  const req: ModuleRequest = { escaped, path: decoded ?? escaped, file };
  let valid = decoded !== null && validModulePath(decoded);
  if (g.v !== undefined) {
    const v = unescapeCase(g.v);
    req.escapedVersion = g.v;
    req.version = v ?? g.v;
    valid &&= v !== null && (isCanonicalVersion(v) || (file === 'info' && validQuery(v)));
  }
  return { ...req, valid };
}

/** the module path before the protocol's first `/@` (module paths never contain `@`) */
export function leadingModule(path: string): string | null {
  const i = path.indexOf('/@');
  return i > 0 ? unescapeCase(path.slice(0, i)) : null;
}
