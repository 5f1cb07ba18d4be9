import type { Decision } from '../decision.js';
import type { RequestContext } from '../context.js';

/** One step of the request pipeline: reads and fills the context, and continues or denies. */
export interface Stage {
  readonly name: string;
  /** Synchronous where possible: an awaited promise per stage would cost a microtask each. */
  readonly run: (ctx: RequestContext) => Decision | Promise<Decision>;
}
