import { CONTINUE, deny } from '../decision.js';
import type { Stage } from './stage.js';

/**
 * Default deny: a request that no declared route matches (host, method and path) is a shadow-API
 * call and gets the same 404 whichever part failed, so probing learns nothing.
 */
export const routeMatchStage: Stage = {
  name: 'route-match',
  run(ctx) {
    const { snapshot, host, path } = ctx;
    if (snapshot === undefined) return deny('NoSnapshot', 'no snapshot in force');
    if (host === undefined || path === undefined)
      return deny('InternalError', 'route match before host/path');
    const match = snapshot.routes.match(host, ctx.head.method, path);
    if (match === undefined) return deny('RouteNotFound', 'no route matches');
    ctx.match = match;
    return CONTINUE;
  },
};
