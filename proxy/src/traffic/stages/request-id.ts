import { randomUUID } from 'node:crypto';
import { CONTINUE } from '../decision.js';
import type { Stage } from './stage.js';

/**
 * Always our own id: a client-chosen X-Request-Id could collide with or forge another request's
 * audit trail. The forwarder overwrites the header upstream and every response carries it.
 */
export const requestIdStage: Stage = {
  name: 'request-id',
  run(ctx) {
    ctx.requestId = randomUUID();
    return CONTINUE;
  },
};
