// Upstream answers that say "no such resource": the stored entry goes and the answer is remembered for
// negative_ttl. 404 and 410 for every kind; a kind may name more (a registry's 451 for a crate taken down).
import type { KindSpec } from '../mode.js';

const ALWAYS = [404, 410];

export function meansGone(kind: KindSpec, status: number): boolean {
  return ALWAYS.includes(status) || (kind.upstream?.goneStatuses?.includes(status) ?? false);
}
