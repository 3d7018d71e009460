// Rendezvous (highest random weight) hashing: every node scores every key, the highest score owns it. Any
// node computes the same owner from the same node set, with no coordination, and when a node leaves only the
// keys it owned move (each to its own runner-up).
import { createHash } from 'node:crypto';

/** a node's score for a key: the first 48 bits of sha256("<node>\n<key>") */
export function scoreOf(node: string, key: string): number {
  return createHash('sha256').update(node).update('\n').update(key).digest().readUIntBE(0, 6);
}

/** the node that owns `key` among `nodes` (ties, practically impossible, go to the smaller name); undefined when empty */
export function ownerOf(key: string, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const n of nodes) {
    const s = scoreOf(n, key);
    if (s > bestScore || (s === bestScore && best !== undefined && n < best)) { best = n; bestScore = s; }
  }
  return best;
}
