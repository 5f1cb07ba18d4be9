import { CONTINUE, deny } from '../decision.js';
import { transportTarget } from '../forward/transport-path.js';
import type { Stage } from './stage.js';

/**
 * Fixes the exact request target the upstream will receive: the route's upstream base path plus
 * the canonical target. If the transport would send anything else, the request is refused, so what
 * was matched is always what is forwarded.
 */
export const upstreamTargetStage: Stage = {
  name: 'upstream-target',
  run(ctx) {
    const { match, url } = ctx;
    if (match === undefined || url === undefined)
      return deny('InternalError', 'upstream target before route match');
    const target = match.route.upstream.basePath + url;
    if (transportTarget(target) !== target) {
      return deny('BadRequest', 'request target would be rewritten by the transport');
    }
    ctx.upstreamTarget = target;
    return CONTINUE;
  },
};
