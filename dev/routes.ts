// HTTP route matching as the real host does it for this app: routes under /api, plain segments
// matched case-insensitively, `{name}` and optional `{name?}` parameters (no constraints).

/** The route parameters of `path` for a route template, or null when the path does not match. */
export function matchRoute(template: string, path: string): Record<string, string> | null {
  const names: string[] = [];
  const pattern = template
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)(\?)?\}$/.exec(segment);
      if (!param) return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
      names.push(param[1]!);
      return param[2] ? '(?:/([^/]+))?' : '/([^/]+)';
    })
    .join('');
  const m = new RegExp(`^/api${pattern}$`, 'i').exec(path);
  if (!m) return null;
  const params: Record<string, string> = {};
  names.forEach((name, i) => {
    if (m[i + 1] !== undefined) params[name] = decodeURIComponent(m[i + 1]!);
  });
  return params;
}

export type RouteLookup<R> = { route: R; params: Record<string, string> } | 'not found' | 'method not allowed';

/** The function serving `method path`: 'not found' (404) when no route matches the path, 'method not allowed' (405) when none takes the method. */
export function findRoute<R extends { route: string; methods: readonly string[] }>(routes: readonly R[], method: string, path: string): RouteLookup<R> {
  const matches = routes.flatMap((route) => {
    const params = matchRoute(route.route, path);
    return params ? [{ route, params }] : [];
  });
  if (!matches.length) return 'not found';
  return matches.find((m) => m.route.methods.includes(method)) ?? 'method not allowed';
}
