// A request's vary classes (one per `cache.vary` header of its kind) and the target of a hook's fetchThrough.
import type { KindSpec, ModeConfig } from '../mode.js';
import type { Target } from './work.js';

/** [header, class] per vary header: the route's own value of the header (an alias of one class) wins over the client's */
export function varyClasses(kind: KindSpec, client: Readonly<Record<string, string | undefined>>, route: Readonly<Record<string, string>>, config: ModeConfig): [string, string][] {
  return Object.entries(kind.cache?.vary ?? {}).map(([h, classOf]) => [h, classOf(route[h] ?? client[h], config)]);
}

/** a mount-relative path as a request target; a trailing "/" is kept (directory-style pages are their own resource) */
export function targetOfPath(path: string): Target {
  const segments = path.split('/').filter(Boolean);
  return { segments, rawSegments: segments.map(encodeURIComponent), trailingSlash: segments.length > 0 && path.endsWith('/'), query: '' };
}
