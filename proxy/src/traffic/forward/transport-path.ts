import { createRequire } from 'node:module';

/**
 * http-proxy builds the outgoing request line with its own `urlJoin`, even with `toProxy` and
 * `prependPath: false`. Besides collapsing "//" (our canonical paths have none), it rewrites the
 * first `http:/` or `https:/` in the path to `http://` / `https://`: `/a/http:/b` would be matched
 * as one path and sent as another. Rather than copy its rules, we run its own function and refuse
 * any target it would change, so a future quirk is caught the same way.
 */
const common = createRequire(import.meta.url)('http-proxy/lib/http-proxy/common.js') as {
  urlJoin?: (...parts: string[]) => string;
};
const urlJoin: (...parts: string[]) => string = (() => {
  const fn = common.urlJoin;
  if (typeof fn !== 'function') throw new Error('http-proxy internals changed: common.urlJoin not found');
  return fn;
})();

/** The request target http-proxy will actually send for `target` (path plus query). */
export function transportTarget(target: string): string {
  return urlJoin('', target);
}
