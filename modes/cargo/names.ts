// Crate names and the sparse index layout: a name's file lives under a directory made from its first letters.

export const CRATE_NAME = '[A-Za-z0-9_-]{1,64}';
const WHOLE_NAME = new RegExp(`^${CRATE_NAME}$`);

/** the index directory of a name, in the name's own case: `1`, `2`, `3/a`, `se/rd` */
export function indexDir(name: string): string {
  if (name.length <= 2) return String(name.length);
  if (name.length === 3) return `3/${name[0]}`;
  return `${name.slice(0, 2)}/${name.slice(2, 4)}`;
}

/** the mount-relative path of a name's index file (always lower case) */
export const indexPath = (name: string): string => `${indexDir(name)}/${name}`.toLowerCase();

/** the crate an index file path names, or null when the directory does not fit the name */
export function nameOfIndexPath(path: string): string | null {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (!WHOLE_NAME.test(name)) return null;
  return path.toLowerCase() === indexPath(name) ? name : null;
}
