// Compiles a mode's route table and classifies mount-relative paths.
import picomatch from 'picomatch';
import type { ModeDefinition, RouteSpec, RouteMatcher, ModeConfig } from './mode.js';

export interface CompiledRoute {
  spec: RouteSpec;
  index: number;
  test(path: string, segments: readonly string[]): Record<string, string> | null;
}

function compilePattern(pattern: string): (segments: readonly string[]) => Record<string, string> | null {
  const parts = pattern.replace(/^\/+/, '').split('/').filter(Boolean);
  return (segments) => {
    const params: Record<string, string> = {};
    let i = 0;
    for (const part of parts) {
      if (part.startsWith('*')) {
        const rest = segments.slice(i);
        if (rest.length === 0) return null;
        params[part.slice(1) || 'rest'] = rest.join('/');
        return params;
      }
      const optional = part.endsWith('?');
      if (part.startsWith(':')) {
        const name = part.slice(1, optional ? -1 : undefined);
        if (i >= segments.length) { if (optional) continue; return null; }
        params[name] = segments[i++]!;
      } else {
        if (segments[i] !== part) return null;
        i++;
      }
    }
    return i === segments.length ? params : null;
  };
}

export function compileMatcher(m: RouteMatcher): (path: string, segments: readonly string[]) => Record<string, string> | null {
  if ('glob' in m) {
    const isMatch = picomatch(m.glob, { dot: true });
    return (path) => (isMatch(path) ? {} : null);
  }
  if ('pattern' in m) {
    const f = compilePattern(m.pattern);
    return (_p, segs) => f(segs);
  }
  const re = m.regex;
  return (path) => {
    const r = re.exec(path);
    return r ? { ...(r.groups ?? {}) } : null;
  };
}

export function compileRoutes(def: ModeDefinition): CompiledRoute[] {
  return def.routes.map((spec, index) => ({ spec, index, test: compileMatcher(spec.match) }));
}

export function classify(routes: CompiledRoute[], path: string, segments: readonly string[], req: { method: string; headers: Record<string, string | undefined>; query: URLSearchParams; trailingSlash?: boolean }, config: ModeConfig = {}): { route: CompiledRoute; params: Record<string, string> } | null {
  for (const route of routes) {
    const params = route.test(path, segments);
    if (!params) continue;
    if (route.spec.when && !route.spec.when({ method: req.method, path, headers: req.headers, query: req.query, trailingSlash: req.trailingSlash }, config)) continue;
    return { route, params };
  }
  return null;
}

/** Replace {{name}} by the param, percent-encoded per segment. */
export function fillTemplate(template: string, params: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => (params[name] ?? '').split('/').map(encodeURIComponent).join('/'));
}
