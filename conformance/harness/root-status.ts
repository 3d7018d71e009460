// A repository mode's root as /-/status/summary reports it (deb, rpm, pacman, apk), and the wait for its next
// refresh outcome.
import type { ProxyHandle } from './launcher.js';
import { httpGet } from './http.js';

export interface RootStatus { root: string; generation: number; outcome: string; last_refresh: string; error?: string }

/** `root` of `instance` (default: the first instance) */
export function watchRoot(root: string, instance?: string) {
  const status = async (p: ProxyHandle): Promise<RootStatus | undefined> => {
    const s = JSON.parse((await httpGet(`${p.url}/-/status/summary`)).body.toString()) as { instances: { name: string; details?: { roots: RootStatus[] } }[] };
    const inst = instance === undefined ? s.instances[0] : s.instances.find((i) => i.name === instance);
    return inst?.details?.roots.find((r) => r.root === root);
  };
  /** for waitFor: a refresh with this outcome finished after `t` (ms since the epoch) */
  const refreshedAfter = (p: ProxyHandle, t: number, outcome: string) => async () => {
    const s = await status(p);
    return !!s && s.outcome === outcome && Date.parse(s.last_refresh) > t;
  };
  return { status, refreshedAfter };
}
