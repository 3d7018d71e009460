// Names of discovered instances (they become mounts: `/<name>`): lower-case slugs, unique within one discovery.

/** a name fit for a mount: lower case, runs of other characters as one `-`, none at the ends */
export const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');

/** `name`, or `name-2`, `name-3`… when taken; the name returned is taken from then on */
export function claimName(taken: Set<string>, name: string): string {
  let out = name;
  for (let n = 2; taken.has(out); n++) out = `${name}-${n}`;
  taken.add(out);
  return out;
}
