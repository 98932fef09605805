import type { RouteEntry } from './requests.js';

/** `:name` matches one non-empty segment, as in hono's router; everything else is literal. */
function patternOf(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

/** Which methods the gateway serves on a path: the basis of 404 versus 405 + `Allow`. */
export class RouteMethods {
  private readonly patterns: Array<{ pattern: RegExp; method: string }>;
  /** The answer for every literal route path, computed once (most requests ask for one). */
  private readonly literal = new Map<string, string[]>();

  /** The methods of `routes`; the answer for each literal path of them is computed once. */
  constructor(routes: readonly RouteEntry[]) {
    this.patterns = routes.map((route) => ({ pattern: patternOf(route.path), method: route.method }));
    for (const route of routes) if (!route.path.includes(':')) this.literal.set(route.path, this.match(route.path));
  }

  /** The methods served on `path`, sorted; empty when no route has this path. */
  allowed(path: string): readonly string[] {
    return this.literal.get(path) ?? this.match(path);
  }

  private match(path: string): string[] {
    const methods = new Set<string>();
    for (const { pattern, method } of this.patterns) if (pattern.test(path)) methods.add(method);
    return [...methods].sort();
  }
}
