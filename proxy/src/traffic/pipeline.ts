import type { CompiledSnapshot } from '../compile/compiled.js';
import { createContext } from './context.js';
import type { PipelineEnv, RequestContext, RequestHead } from './context.js';
import type { Decision } from './decision.js';
import { CONTINUE } from './decision.js';
import { authenticateStage } from './stages/authenticate.js';
import { normalisePathStage } from './stages/normalise-path.js';
import { protocolStage } from './stages/protocol.js';
import { requestIdStage } from './stages/request-id.js';
import { routeMatchStage } from './stages/route-match.js';
import { snapshotInForceStage } from './stages/snapshot-in-force.js';
import { upstreamTargetStage } from './stages/upstream-target.js';
import type { Stage } from './stages/stage.js';

/**
 * The decision stages, in order: this array is the table of contents of the data plane. Cheap,
 * unauthenticated checks come first so that a hostile request costs as little as possible, and
 * nothing is looked up in policy before the request is known to be unambiguous.
 * After the last stage the request is forwarded (forward/forwarder.ts); a denial at any stage is
 * answered by respond.ts, and every request ends in one access-log line (access-log.ts).
 */
export const STAGES: readonly Stage[] = [
  // First, so that every response (even a protocol refusal) and every log line has an id. Minting
  // one never fails and reads nothing from the client.
  requestIdStage,
  // Fail closed before reading anything attacker-controlled: with no verified snapshot every
  // request is a 503, whatever it looks like.
  snapshotInForceStage,
  // HTTP version, Host, Connection/Upgrade: decides whether the request can be read one way only.
  // Routing needs the validated host, so this precedes it.
  protocolStage,
  // Exactly one canonical path, computed before any lookup, so routing matches what is forwarded.
  normalisePathStage,
  // Host, method, path template. Unknown = shadow API = 404, before spending anything on crypto.
  routeMatchStage,
  // The exact target sent upstream (base path + canonical target), refused if the transport would
  // rewrite it. Needs the route's upstream; cheap, so it runs before any crypto.
  upstreamTargetStage,
  // JWT per attached policy (conjunction). Last: the most expensive stage, and it needs the route
  // to know which policies apply. Future stages (authorize, rate limit, validate) go after it.
  authenticateStage,
];

/** Runs the stages until one denies. Awaits only stages that actually returned a promise. */
export async function runStages(ctx: RequestContext, stages: readonly Stage[] = STAGES): Promise<Decision> {
  for (const stage of stages) {
    const result = stage.run(ctx);
    const decision = result instanceof Promise ? await result : result;
    if (decision.kind === 'deny') return decision;
  }
  return CONTINUE;
}

export interface Evaluation {
  readonly decision: Decision;
  readonly context: RequestContext;
}

/**
 * Decides a request without any socket: a snapshot plus a request head in, a decision and the
 * filled context out. The traffic listener uses the same stages; tests and benchmarks use this.
 */
export async function evaluateRequest(
  head: RequestHead,
  snapshot: CompiledSnapshot | undefined,
  env: PipelineEnv = { now: Date.now },
): Promise<Evaluation> {
  const context = createContext(head, snapshot, env);
  const decision = await runStages(context);
  return { decision, context };
}
