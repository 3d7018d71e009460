// The objects of a mirror read through isomorphic-git's object API, and the set of objects a fetch must
// send: everything reachable from the wants, minus what the client has (the ancestry of its common haves),
// cut at a depth (shallow boundary) and without blobs for `filter blob:none`. Whole objects only: the pack
// is built by isomorphic-git's packObjects, undeltified.
import * as fs from 'node:fs';
import git from 'isomorphic-git';

export interface ClosureRequest {
  wants: string[];
  /** commits the client has (their ancestry is not sent) */
  haves?: string[];
  /** the client's shallow boundary: these commits' parents are neither walked nor assumed */
  clientShallow?: string[];
  /** `deepen N`: commits further than N from a want are not sent */
  depth?: number;
  /** `filter blob:none` */
  omitBlobs?: boolean;
  /** tags of the snapshot whose target is sent come along (`include-tag`): tag object id → peeled id */
  includeTags?: Map<string, string>;
  /** only the commit walk (the shallow boundary), no trees */
  commitsOnly?: boolean;
  /** sync check: every blob must be present too (it is otherwise not read) */
  checkBlobs?: boolean;
}

export interface Closure {
  /** objects to send, commits first */
  oids: string[];
  /** commits sent without their parents (to announce as `shallow`) */
  shallow: string[];
}

type Kind = 'commit' | 'tree' | 'blob' | 'tag';

export class ObjectStore {
  private cache = {};
  constructor(readonly gitdir: string) {}

  /** the object's type, or null when the mirror does not have it */
  async kind(oid: string): Promise<Kind | null> {
    if (!/^[0-9a-f]{40}$/.test(oid)) return null;
    try {
      const o = await git.readObject({ fs, gitdir: this.gitdir, oid, format: 'content', cache: this.cache });
      return o.type as Kind;
    } catch {
      return null;
    }
  }

  async has(oid: string): Promise<boolean> {
    return (await this.kind(oid)) !== null;
  }

  async parents(oid: string): Promise<string[]> {
    return (await git.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.cache })).commit.parent;
  }

  private async treeOf(commit: string): Promise<string> {
    return (await git.readCommit({ fs, gitdir: this.gitdir, oid: commit, cache: this.cache })).commit.tree;
  }

  /** a tag object's target, and its type */
  async tagTarget(oid: string): Promise<{ oid: string; type: Kind }> {
    const t = (await git.readTag({ fs, gitdir: this.gitdir, oid, cache: this.cache })).tag;
    return { oid: t.object, type: t.type as Kind };
  }

  /** an annotated tag peeled down to what is not a tag */
  async peel(oid: string): Promise<string> {
    let at = oid;
    for (let i = 0; i < 16 && (await this.kind(at)) === 'tag'; i++) at = (await this.tagTarget(at)).oid;
    return at;
  }

  async isAncestor(ancestor: string, oid: string): Promise<boolean> {
    if (ancestor === oid) return true;
    try {
      return await git.isDescendent({ fs, gitdir: this.gitdir, oid, ancestor, depth: -1, cache: this.cache });
    } catch {
      return false;
    }
  }

  /** every commit reachable from these (shallow commits: no parents) */
  private async ancestry(from: string[], shallow: Set<string>): Promise<Set<string>> {
    const seen = new Set<string>();
    const todo = [...from];
    while (todo.length) {
      const c = todo.pop()!;
      if (seen.has(c)) continue;
      seen.add(c);
      if (!shallow.has(c)) todo.push(...await this.parents(c));
    }
    return seen;
  }

  /** every tree and blob under a tree into `into` (subtrees already there are not walked again) */
  private async walkTree(tree: string, into: Set<string>, o: { skip?: Set<string>; omitBlobs?: boolean; checkBlobs?: boolean }): Promise<void> {
    if (into.has(tree) || o.skip?.has(tree)) return;
    into.add(tree);
    const { tree: entries } = await git.readTree({ fs, gitdir: this.gitdir, oid: tree, cache: this.cache });
    for (const e of entries) {
      if (e.type === 'tree') await this.walkTree(e.oid, into, o);
      else if (e.type === 'blob' && !o.omitBlobs && !into.has(e.oid) && !o.skip?.has(e.oid)) {
        if (o.checkBlobs && !(await this.has(e.oid))) throw new Error(`missing blob ${e.oid}`);
        into.add(e.oid);
      }
      // 'commit' entries are submodules: not objects of this repository
    }
  }

  async closure(r: ClosureRequest): Promise<Closure> {
    const shallowIn = new Set(r.clientShallow ?? []);
    const commits: string[] = [];
    const others = new Set<string>();
    const tags: string[] = [];
    const wantCommits: string[] = [];
    // wants that are not commits: tags peeled, trees and blobs sent as such (partial clones' lazy fetches)
    for (const w of new Set(r.wants)) {
      let at = w;
      for (let i = 0; i < 16; i++) {
        const k = await this.kind(at);
        if (k === 'tag') { tags.push(at); at = (await this.tagTarget(at)).oid; continue; }
        if (k === 'commit') wantCommits.push(at);
        else if (k === 'tree') await this.walkTree(at, others, { omitBlobs: r.omitBlobs });
        else if (k === 'blob') others.add(at);
        else throw new Error(`missing object ${at}`);
        break;
      }
    }
    const haves: string[] = [];
    for (const h of r.haves ?? []) if ((await this.kind(h)) === 'commit') haves.push(h);
    const had = await this.ancestry(haves, shallowIn);

    // the commits to send, breadth first from the wants so that a commit's depth is its shortest distance
    const depthOf = new Map<string, number>();
    const shallowOut: string[] = [];
    const edges = new Set<string>();
    let level = wantCommits.filter((c) => !had.has(c));
    for (const c of level) depthOf.set(c, 1);
    for (let d = 1; level.length; d++) {
      const next: string[] = [];
      for (const c of level) {
        commits.push(c);
        if (shallowIn.has(c)) continue;
        const parents = await this.parents(c);
        if (r.depth !== undefined && d >= r.depth) { if (parents.length) shallowOut.push(c); continue; }
        for (const p of parents) {
          if (had.has(p)) { edges.add(p); continue; }
          if (depthOf.has(p)) continue;
          depthOf.set(p, d + 1);
          next.push(p);
        }
      }
      level = next;
    }

    if (r.commitsOnly) return { oids: commits, shallow: shallowOut };
    // what the client has: the trees of the commits where the walk met its history
    const skip = new Set<string>();
    for (const e of edges) await this.walkTree(await this.treeOf(e), skip, {});
    for (const c of commits) await this.walkTree(await this.treeOf(c), others, { skip, omitBlobs: r.omitBlobs, checkBlobs: r.checkBlobs });

    if (r.includeTags) {
      const sent = new Set(commits);
      for (const [tag, peeled] of r.includeTags) if (sent.has(peeled) && !tags.includes(tag)) tags.push(tag);
    }
    return { oids: [...new Set([...commits, ...others, ...tags])], shallow: shallowOut };
  }

  /** a pack of these objects (whole objects, no deltas), built in memory */
  async pack(oids: string[]): Promise<Uint8Array> {
    const r = await git.packObjects({ fs, gitdir: this.gitdir, oids, write: false, cache: this.cache });
    if (!r.packfile) throw new Error('packObjects returned no pack');
    return r.packfile;
  }
}
