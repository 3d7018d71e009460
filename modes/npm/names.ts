// npm package names and the registry's URL layout (`<name>`, `@scope/<name>`, `<name>/-/<file>.tgz`).

const SAFE = "[A-Za-z0-9._~*'()!-]";
const FIRST = "[A-Za-z0-9~*'()!-]"; // no leading "." or "_" (a scope may have one)
/** a package name in a mount-relative path: `pkg` or `@scope/pkg` */
export const NAME = `(?<name>@${SAFE}+/${FIRST}${SAFE}*|${FIRST}${SAFE}*)`;

export const nameLengthOk = (name: string): boolean => name.length <= 214;

/** the name as the registry spells it in the first path segment (`@scope%2fpkg`) */
export function upstreamName(name: string): string {
  return name.startsWith('@') ? name.replace('/', '%2f') : name;
}

export const unscoped = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

/** the version named by a canonical tarball file name, or null */
export function tarballVersion(name: string, file: string): string | null {
  const prefix = `${unscoped(name)}-`;
  if (!file.startsWith(prefix) || !file.endsWith('.tgz')) return null;
  const v = file.slice(prefix.length, -'.tgz'.length);
  return v ? v : null;
}

const seg = (s: string) => encodeURIComponent(s).replace(/^%40/, '@');

/** the canonical tarball URL under base (pnpm and yarn berry reconstruct exactly this layout) */
export function canonicalTarball(base: string, name: string, version: string): string {
  return `${base}/${name.split('/').map(seg).join('/')}/-/${seg(`${unscoped(name)}-${version}.tgz`)}`;
}

export const isSemver = (v: string): boolean => /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(v);
