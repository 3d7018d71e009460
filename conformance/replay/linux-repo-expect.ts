// Expectation sequences every repository mode (deb, rpm, pacman, apk) shares for the files the engine caches
// by path: packages checked against their index entry.
import { expect, sha256 } from './scenario.js';
import type { Expect } from '../harness/scenarios.js';

export const counts = (c: Record<string, number>) => ({ upstream_counts: c });
export const generation = (n: number) => ({ 'x-cache-generation': String(n) });

/** a package is cached by the engine, keyed by path, not served from a generation: MISS, HIT, HEAD from the entry */
export function packageKept(path: string, body: Buffer): Expect[] {
  return [
    expect(path, { status: 200, x_cache: 'MISS', body_sha256: sha256(body), headers: { 'x-cache-generation': null }, ...counts({ [`GET ${path}`]: 1 }) }),
    expect(path, { status: 200, x_cache: 'HIT', body_sha256: sha256(body), ...counts({ [`GET ${path}`]: 1 }) }),
    expect(`HEAD ${path}`, { status: 200, x_cache: 'HIT', headers: { 'content-length': String(body.length) }, ...counts({ [`GET ${path}`]: 1, [`HEAD ${path}`]: 0 }) }),
  ];
}

/** a package that fails its index check the first time: 502, nothing stored, fetched again and kept */
export function packageRefusedThenKept(path: string, body: Buffer): Expect[] {
  return [
    expect(path, { status: 502, x_cache: 'ERROR', ...counts({ [`GET ${path}`]: 1 }) }),
    expect(path, { status: 200, x_cache: 'MISS', body_sha256: sha256(body), aborted: false, ...counts({ [`GET ${path}`]: 2 }) }),
    expect(path, { status: 200, x_cache: 'HIT', body_sha256: sha256(body), ...counts({ [`GET ${path}`]: 2 }) }),
  ];
}

/** a missing package: asked upstream once, then the remembered 404 */
export function packageMissing(path: string): Expect[] {
  return [
    expect(path, { status: 404, x_cache: 'MISS', ...counts({ [`GET ${path}`]: 1 }) }),
    expect(path, { status: 404, x_cache: 'NEGATIVE', ...counts({ [`GET ${path}`]: 1 }) }),
  ];
}
