// The Work of another key of the same instance (a binding's target).
import type { BindTarget } from '../mode.js';
import { type Work, sha256 } from './work.js';

/** the Work of another key of this instance, derived from a binding target */
export function targetWork(w: Work, t: BindTarget): Work {
  const key = `${t.kind}/${t.key}`;
  const keyHash = sha256(`${w.inst.name}\n${key}`);
  const list = Array.isArray(t.upstream) ? t.upstream : [t.upstream];
  const candidates = list.flatMap((p) => (/^https?:\/\//.test(p) ? [p] : w.inst.upstreams.map((u) => `${u}/${p.replace(/^\/+/, '')}`)));
  return { ...w, kind: t.kind, key, keyHash, flightKey: `${w.inst.name}/${keyHash}`, candidates, resolved: w.inst.resolve(t.kind, w.subject) };
}
