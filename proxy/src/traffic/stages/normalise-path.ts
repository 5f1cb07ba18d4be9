import { CONTINUE, deny } from '../decision.js';
import { normaliseTarget } from '../path-normalise.js';
import type { Stage } from './stage.js';

/** Normalise once; routing and forwarding both use the result (rules in path-normalise.ts). */
export const normalisePathStage: Stage = {
  name: 'normalise-path',
  run(ctx) {
    const result = normaliseTarget(ctx.head.url);
    if (!result.ok) return deny('BadRequest', result.reason);
    ctx.path = result.path;
    ctx.url = result.url;
    return CONTINUE;
  },
};
