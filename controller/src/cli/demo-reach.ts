import type { Route } from '@portcullis/contract';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Which upstream origins the routes use when none of them reaches the demo upstream;
 * undefined when at least one does (or there are no routes to judge by). `up --upstream-port`
 * moves the demo service but cannot move the folder's `spec.upstream.url`, and a newcomer who
 * changed one without the other would otherwise only see 502s.
 */
export function originsMissingDemo(
  routes: readonly Pick<Route, 'upstream'>[],
  demoUrl: string,
): readonly string[] | undefined {
  if (routes.length === 0) return undefined;
  const demo = new URL(demoUrl);
  const origins = new Set<string>();
  for (const route of routes) {
    const target = new URL(route.upstream.url);
    const sameHost =
      target.hostname === demo.hostname || (LOOPBACK.has(target.hostname) && LOOPBACK.has(demo.hostname));
    if (sameHost && target.protocol === demo.protocol && effectivePort(target) === effectivePort(demo))
      return undefined;
    origins.add(target.origin);
  }
  return [...origins].sort();
}

function effectivePort(url: URL): string {
  if (url.port !== '') return url.port;
  return url.protocol === 'https:' ? '443' : '80';
}
