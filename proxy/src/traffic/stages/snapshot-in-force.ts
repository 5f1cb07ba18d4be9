import { CONTINUE, deny } from '../decision.js';
import type { Stage } from './stage.js';

/** Fail closed: with no verified snapshot there is no route that could be allowed. */
export const snapshotInForceStage: Stage = {
  name: 'snapshot-in-force',
  run(ctx) {
    return ctx.snapshot === undefined ? deny('NoSnapshot', 'no snapshot in force') : CONTINUE;
  },
};
