// Ref lists as git prints them, and the refs a sync publishes: the upstream's branches and tags, except
// (with force_overwrite: false) a ref whose update is not a fast-forward, which keeps its old value.

export type RefMap = Record<string, string>;
export interface UpstreamRefs { refs: RefMap; head?: string; objectFormat: 'sha1' | 'sha256' }

const PUBLISHED = /^refs\/(heads|tags)\//;

/** `git ls-remote --symref` output: branches and tags (peeled `^{}` lines left out) and HEAD's target */
export function parseLsRemote(text: string): UpstreamRefs {
  const refs: RefMap = {};
  let head: string | undefined, objectFormat: UpstreamRefs['objectFormat'] = 'sha1';
  for (const line of text.split('\n')) {
    const [left, name] = line.split('\t');
    if (!left || !name) continue;
    if (left.startsWith('ref: ')) { if (name === 'HEAD') head = left.slice(5); continue; }
    if (/^[0-9a-f]{64}$/.test(left)) objectFormat = 'sha256';
    if (PUBLISHED.test(name) && !name.endsWith('^{}')) refs[name] = left;
  }
  return { refs, head, objectFormat };
}

/** `git for-each-ref --format='%(objectname) %(refname)' <prefix>` output, the prefix taken off the names */
export function parseForEachRef(text: string, prefix: string): RefMap {
  const out: RefMap = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(' ');
    if (i < 0) continue;
    const name = line.slice(i + 1);
    if (name.startsWith(prefix)) out[`refs/${name.slice(prefix.length)}`] = line.slice(0, i);
  }
  return out;
}

export const sameRefs = (a: RefMap, b: RefMap) => {
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
};

export interface RefPlan { refs: RefMap; refused: { ref: string; kept: string; upstream: string }[] }

/**
 * The refs of the next snapshot from the fetched upstream refs and the current snapshot's. Refs deleted
 * upstream go; with forceOverwrite false, a branch that did not fast-forward (isAncestor false) and a tag
 * that moved keep their old value.
 */
export async function planRefs(upstream: RefMap, current: RefMap, forceOverwrite: boolean, isAncestor: (old: string, next: string) => Promise<boolean>): Promise<RefPlan> {
  const refs: RefMap = {};
  const refused: RefPlan['refused'] = [];
  for (const [ref, next] of Object.entries(upstream)) {
    const old = current[ref];
    if (forceOverwrite || old === undefined || old === next) { refs[ref] = next; continue; }
    const ff = ref.startsWith('refs/heads/') && await isAncestor(old, next);
    if (ff) refs[ref] = next;
    else { refs[ref] = old; refused.push({ ref, kept: old, upstream: next }); }
  }
  return { refs, refused };
}
